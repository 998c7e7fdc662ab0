"""`assistant users add | list | remove | passwd | token | audit`: manage accounts; every change is audited."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path
from typing import Any

from assistant.accounts import audit, tokens, users
from assistant.accounts.roles import ROLES
from assistant.accounts.store import AccountError
from assistant.config import Settings

ACTOR = "cli"  # who the audit log names for a change made on this machine's command line


def register(subparsers: Any) -> None:  # argparse's _SubParsersAction is private; Any keeps mypy quiet
    p = subparsers.add_parser("users", help="accounts: add, list, remove, passwd, token, audit")
    sub = p.add_subparsers(metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        q: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        # Also accepted after the action; SUPPRESS keeps the one given before `users` otherwise.
        q.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return q

    q = action("add", "create a user")
    q.add_argument("name")
    q.add_argument("--role", required=True, help=f"one of {', '.join(ROLES)}")
    q.add_argument("--group", action="append", default=[], help="a document group the user may read (repeatable)")
    q.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    q.set_defaults(func=cmd_add)

    q = action("list", "users, roles, groups and active tokens")
    q.set_defaults(func=cmd_list)

    q = action("remove", "delete a user, end its sessions and revoke its tokens")
    q.add_argument("name")
    q.set_defaults(func=cmd_remove)

    q = action("passwd", "change a user's password and end its sessions")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    q.set_defaults(func=cmd_passwd)

    q = action("token", "print a new API token (shown once), or revoke tokens")
    q.add_argument("name")
    q.add_argument(
        "--revoke", nargs="?", const="", default=None, metavar="PREFIX", help="revoke all, or the one with PREFIX"
    )
    q.set_defaults(func=cmd_token)

    q = action("audit", "show the audit log, latest last")
    q.add_argument("--limit", type=int, default=50, help="how many events (default 50)")
    q.set_defaults(func=cmd_audit)


def read_password(from_stdin: bool) -> str:
    """Return a new password: one line of stdin, or asked twice at the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise AccountError("The two passwords differ; nothing was changed.")
    return first


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    db = settings.accounts_path
    # The cheap checks first, so that a bad name or role is refused before a password is asked for.
    users.check_name(args.name)
    users.check_role(args.role)
    groups = users.check_groups(args.group)
    user = users.add_user(db, args.name, args.role, read_password(args.password_stdin), groups)
    audit.record(db, ACTOR, "user-add", f"{user.name} role={user.role} groups={','.join(groups)}")
    print(f"Added {user.name} ({user.role}) to {db}.")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    found = users.list_users(settings.accounts_path)
    if not found:
        print(f"No accounts in {settings.accounts_path}: the app serves one local user without sign-in.")
        return 0
    print(f"{'name':<24} {'role':<10} {'groups':<30} tokens")
    for u in found:
        name = u.name + (" (disabled)" if u.disabled else "")
        print(f"{name:<24} {u.role:<10} {','.join(u.groups) or '-':<30} {u.active_tokens}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    users.remove_user(settings.accounts_path, args.name)
    audit.record(settings.accounts_path, ACTOR, "user-remove", args.name)
    print(f"Removed {args.name}; its sessions ended and its tokens were revoked.")
    return 0


def cmd_passwd(args: argparse.Namespace, settings: Settings) -> int:
    db = settings.accounts_path
    if users.get_user(db, args.name) is None:
        raise AccountError(f"No user named {args.name!r}.")
    users.set_password(db, args.name, read_password(args.password_stdin))
    audit.record(db, ACTOR, "user-passwd", args.name)
    print(f"Changed the password of {args.name}; its sessions ended.")
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    db = settings.accounts_path
    if args.revoke is not None:
        prefix = args.revoke or None
        count = tokens.revoke_tokens(db, args.name, prefix)
        audit.record(db, ACTOR, "token-revoke", f"{args.name} {prefix or 'all'} ({count})")
        print(f"Revoked {count} token{'s' if count != 1 else ''} of {args.name}.")
        return 0
    token = tokens.create_token(db, args.name)
    audit.record(db, ACTOR, "token-create", f"{args.name} {token[: tokens.PREFIX_CHARS]}")
    print(f"New API token for {args.name} (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    for event in audit.recent(settings.accounts_path, args.limit):
        when = dt.datetime.fromtimestamp(event.time).isoformat(sep=" ", timespec="seconds")
        print(f"{when}  {event.user:<20} {event.action:<14} {event.detail}")
    return 0
