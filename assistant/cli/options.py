"""Options and helpers shared by the subcommands: filters, store choice, a progress bar."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence

from assistant.accounts import users
from assistant.accounts.roles import LOCAL_USER, User
from assistant.config import STORES, Settings
from assistant.errors import AssistantError
from assistant.types import Filters


def add_filter_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="restrict to source=FILE, org=ORGANISATION or year=YYYY (repeatable)",
    )


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", choices=STORES, default=None, help="where the index lives (default: the store setting)"
    )


def add_user_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-user",
        metavar="NAME",
        default=None,
        help="use only the documents this account may read, as the app would (default: every document)",
    )


def user_of(name: str | None, settings: Settings) -> User:
    """Return the account `name` (the local user, who reads everything, when None); raise when there is none."""
    if name is None:
        return LOCAL_USER
    user = users.get_user(settings.accounts_path, name)
    if user is None:
        raise AssistantError(f"No account named {name!r} in {settings.accounts_path}: see assistant users list.")
    return user


def parse_filters(items: Sequence[str]) -> Filters:
    """Return Filters from `field=value` strings; raise AssistantError on an unknown field."""
    fields: dict[str, set[str]] = {"source": set(), "org": set(), "year": set()}
    aliases = {"doc": "source", "document": "source", "organisation": "org", "organization": "org"}
    for item in items:
        key, sep, value = item.partition("=")
        key = aliases.get(key.strip().lower(), key.strip().lower())
        if not sep or key not in fields or not value.strip():
            raise AssistantError(f"Bad filter {item!r}: use source=FILE, org=NAME or year=YYYY.")
        fields[key].add(value.strip())
    return Filters(frozenset(fields["source"]), frozenset(fields["org"]), frozenset(fields["year"]))


@contextlib.contextmanager
def progress_bar(quiet: bool, unit: str) -> Iterator[Callable[[int, int, str], None]]:
    """Yield a (done, total, what) callback drawing a tqdm bar on stderr, nothing when `quiet`; close it after."""
    bar = None

    def progress(done: int, total: int, what: str) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=unit, file=sys.stderr)
        if bar.total != total:
            bar.reset(total=total)  # a new stage: OCR counts pages, embedding counts passages
        bar.set_description(what)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()
