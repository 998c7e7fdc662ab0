"""Per-document access: a document restricted to groups is read only by their members and admins, on every path.

One small library is indexed once with the real models: an open report, one restricted to investigators, one
to finance staff. Every path that reads the index (ask, search, the document list, briefing notes, eval runs,
follow-ups, term statistics) is checked for a trainee, a staff member in and out of the group, and an admin;
then random users, groups and documents are fuzzed.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from assistant.accounts.roles import ROLES, User
from assistant.briefing.draft import draft_brief
from assistant.config import Settings, load_settings
from assistant.errors import ConfigError
from assistant.evaluation.evalset import EvalItem
from assistant.evaluation.evaluate import run_rows
from assistant.index.generations import read_manifest
from assistant.ingest.catalog import CatalogEntry, check_groups, load_catalog, set_upload_groups
from assistant.ingest.files import file_hash
from assistant.ingest.update import ingest
from assistant.ingest.uploads import add_uploads
from assistant.pipeline import Assistant
from assistant.types import Answer, Filters

OPEN = "open-report.txt"
INVESTIGATION = "investigation-note.txt"
LEDGER = "finance-ledger.txt"
TEXTS = {
    OPEN: (
        "Harbour Watch Pilot\n\nThe Harbour Watch pilot programme was launched in Valletta in March 2023. It trains "
        "port officers to recognise signs of migrant smuggling on cargo ships. Smuggling networks adapt their routes "
        "when port controls tighten."
    ),
    INVESTIGATION: (
        "Operation Nightjar\n\nOperation Nightjar identified 42 suspected smugglers operating through the port of "
        "Ravenna in 2021. The smuggling network used forged crew papers and refrigerated containers. Investigators "
        "seized 17 forged passports."
    ),
    LEDGER: (
        "Coral Fund Ledger\n\nThe Coral Fund paid 3.2 million euros to the Kestrel consultancy in 2022 for smuggling "
        "prevention training. Auditors flagged the Kestrel invoices for review."
    ),
}
GROUPS = {INVESTIGATION: ["investigators"], LEDGER: ["finance"]}

TRAINEE = User("tina", "trainee")
INSIDER = User("ivan", "staff", frozenset({"investigators"}))
OUTSIDER = User("fay", "staff", frozenset({"finance"}))
EVALUATOR = User("eve", "evaluator", frozenset({"investigators"}))
ADMIN = User("ada", "admin")


def write_catalog(corpus: Path, groups: dict[str, list[str]]) -> None:
    lines = []
    for source in TEXTS:
        lines.append(f'["{source}"]\ntitle = "{TEXTS[source].splitlines()[0]}"\norganisation = "Test Office"')
        if source in groups:
            lines.append("groups = [" + ", ".join(f'"{g}"' for g in groups[source]) + "]")
    (corpus / "catalog.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("access")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in TEXTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    write_catalog(corpus, GROUPS)
    settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index")
    assert not ingest(settings).skipped
    return settings


@pytest.fixture(scope="module")
def assistant(library: Settings) -> Assistant:
    return Assistant.from_settings(library)


def sources_in(answer: Answer) -> set[str]:
    """Return every source an answer shows or holds: its ranked passages and its citations."""
    cited = {c.source for s in answer.statements for c in s.citations}
    return cited | {h.chunk.source for h in answer.hits}


def readable(user: User) -> set[str]:
    return {s for s in TEXTS if s not in GROUPS or user.admin or set(GROUPS[s]) & user.groups}


def test_the_manifest_records_each_files_groups(library: Settings) -> None:
    manifest = read_manifest(library.index_dir)
    assert manifest is not None
    assert manifest.files[INVESTIGATION]["groups"] == ["investigators"]
    assert "groups" not in manifest.files[OPEN]


@pytest.mark.parametrize(
    ("user", "answered"), [(TRAINEE, False), (OUTSIDER, False), (INSIDER, True), (EVALUATOR, True), (ADMIN, True)]
)
def test_a_restricted_document_answers_only_its_groups_and_admins(
    assistant: Assistant, user: User, answered: bool
) -> None:
    answer = assistant.ask("How many suspected smugglers did Operation Nightjar identify?", user=user)
    assert sources_in(answer) <= readable(user)
    said = " ".join(s.text for s in answer.statements)
    if answered:
        assert not answer.abstained and "42" in said
        assert INVESTIGATION in {c.source for s in answer.statements for c in s.citations}
    else:
        assert answer.abstained and "42" not in said and "Nightjar" not in said


@pytest.mark.parametrize("user", [TRAINEE, OUTSIDER, INSIDER, ADMIN])
def test_search_and_the_document_list_show_only_what_the_user_may_read(assistant: Assistant, user: User) -> None:
    found = assistant.search("smuggling network port forged papers Coral Fund", k=10, user=user)
    assert {h.chunk.source for h in found.hits} <= readable(user)
    listed = {str(doc["source"]) for doc in assistant.documents(user)}
    assert listed == readable(user)  # names and counts alike: the list is the count
    # A filter naming a hidden document does not open it.
    named = assistant.search("Kestrel invoices", user=user, filters=Filters(sources=frozenset({LEDGER})))
    assert bool(named.hits) == (LEDGER in readable(user))


def test_follow_ups_are_rewritten_and_answered_within_access(assistant: Assistant) -> None:
    answer = assistant.ask(
        "And how many passports were seized?", history=["What did Operation Nightjar find?"], user=TRAINEE
    )
    assert sources_in(answer) <= readable(TRAINEE) and answer.abstained
    insider = assistant.ask(
        "And how many passports were seized?", history=["What did Operation Nightjar find?"], user=INSIDER
    )
    assert "17" in " ".join(s.text for s in insider.statements)


def test_term_statistics_leave_out_what_the_user_may_not_read(assistant: Assistant) -> None:
    """ "Kestrel" occurs only in the finance ledger: for others it weighs like a word of no document."""
    outsider, finance = assistant.extractive(TRAINEE).stats, assistant.extractive(OUTSIDER).stats
    assert outsider.df["kestrel"] == 0 and finance.df["kestrel"] > 0
    assert outsider.n < finance.n


@pytest.mark.parametrize("user", [TRAINEE, INSIDER])
def test_briefing_notes_and_eval_runs_quote_only_readable_documents(assistant: Assistant, user: User) -> None:
    note = draft_brief(assistant, "port smuggling investigations and funding", questions=3, user=user)
    assert {doc.source for doc in note.sources} <= readable(user)
    assert {s.source for statement in note.statements for s in statement.citations} <= readable(user)
    items = [
        EvalItem("q1", "How many smugglers did Operation Nightjar identify?", True, "factoid"),
        EvalItem("q2", "How much did the Coral Fund pay Kestrel?", True, "factoid"),
    ]
    for row in run_rows(assistant, items, user=user):
        shown = {c["source"] for c in row["citations"]} | {r["source"] for r in row["retrieved"]}
        assert shown <= readable(user)


def test_a_catalog_edit_restricts_at_once_and_a_broken_catalog_answers_nothing(
    library: Settings, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(library.corpus_dir, corpus)
    shutil.copytree(library.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    settings = library.replace(corpus_dir=corpus, index_dir=tmp_path / "index")
    local = Assistant.from_settings(settings)
    question = "When was the Harbour Watch pilot launched?"
    assert OPEN in sources_in(local.ask(question, user=TRAINEE))
    write_catalog(corpus, {**GROUPS, OPEN: ["port-officers"]})  # no re-ingest
    assert OPEN not in sources_in(local.ask(question, user=TRAINEE))
    assert OPEN in sources_in(local.ask(question, user=ADMIN))
    (corpus / "catalog.toml").write_text('["open-report.txt"\ngroups = [', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        local.ask(question, user=TRAINEE)


def test_the_manifest_keeps_restrictions_when_the_catalog_is_lost(library: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(library.corpus_dir, corpus)
    shutil.copytree(library.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    (corpus / "catalog.toml").unlink()
    local = Assistant.from_settings(library.replace(corpus_dir=corpus, index_dir=tmp_path / "index"))
    assert {str(d["source"]) for d in local.documents(TRAINEE)} == {OPEN}


def test_uploads_carry_the_readers_the_uploader_chose(library: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(library.corpus_dir, corpus)
    shutil.copytree(library.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    settings = library.replace(corpus_dir=corpus, index_dir=tmp_path / "index")
    memo = tmp_path / "gradio" / "memo.txt"
    memo.parent.mkdir()
    memo.write_text("Heron Memo\n\nThe Heron task force met in Bari on 4 May 2024 to plan joint patrols.\n")
    result = add_uploads([(memo, "memo.txt")], settings, groups=("investigators",))
    assert result.stored == ["uploads/memo.txt"]
    local = Assistant.from_settings(settings)
    question = "Where did the Heron task force meet?"
    assert "uploads/memo.txt" not in sources_in(local.ask(question, user=TRAINEE))
    assert "Bari" in " ".join(s.text for s in local.ask(question, user=INSIDER).statements)
    # The same bytes uploaded for everyone become a second, open copy: the restricted one stays restricted.
    again = add_uploads([(memo, "memo.txt")], settings)
    assert again.stored == ["uploads/memo-2.txt"]
    groups = {s: e.groups for s, e in load_catalog(corpus).items() if s.startswith("uploads/")}
    assert groups == {"uploads/memo.txt": ("investigators",)}
    with pytest.raises(ConfigError, match="group name"):
        add_uploads([(memo, "memo.txt")], settings, groups=("no spaces",))


def test_catalog_groups_are_checked_and_the_peoples_catalog_wins(tmp_path: Path) -> None:
    assert check_groups(["b", "a", "a"], "here") == ("a", "b")
    for bad in ("investigators", ["../x"], [""], [3]):
        with pytest.raises(ConfigError):
            check_groups(bad, "here")
    set_upload_groups(tmp_path, "uploads/a.txt", ("team",))
    set_upload_groups(tmp_path, "uploads/b.txt", ("team", "other"))
    set_upload_groups(tmp_path, "uploads/b.txt", ())  # lifted
    assert {s: e.groups for s, e in load_catalog(tmp_path).items()} == {"uploads/a.txt": ("team",)}
    (tmp_path / "catalog.toml").write_text('["uploads/a.txt"]\ntitle = "A"\n', encoding="utf-8")
    assert load_catalog(tmp_path)["uploads/a.txt"] == CatalogEntry(title="A")


def test_entries_without_groups_hash_as_before_groups_existed(tmp_path: Path) -> None:
    """Upgrading must not re-index every catalogued file; giving one groups must."""
    path = tmp_path / "a.txt"
    path.write_text("text", encoding="utf-8")
    import hashlib

    old = hashlib.sha256(b"text")
    old.update(repr({"title": "T", "organisation": "", "date": "", "url": ""}).encode())
    assert file_hash(path, CatalogEntry(title="T")) == old.hexdigest()
    assert file_hash(path, CatalogEntry(title="T", groups=("g",))) != old.hexdigest()


def random_users(rng: random.Random, groups: list[str], n: int) -> Iterable[User]:
    for i in range(n):
        yield User(f"u{i}", rng.choice(ROLES), frozenset(rng.sample(groups, rng.randint(0, 2))))


def test_no_answer_ever_holds_a_passage_its_user_may_not_read(tmp_path: Path) -> None:
    """Random documents in random groups, random users asking about random documents: nothing leaks."""
    rng = random.Random(18)
    groups = ["alpha", "beta", "gamma"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    restricted: dict[str, set[str]] = {}
    catalog = []
    places = ["Ravenna", "Bari", "Split", "Varna", "Izmir", "Ceuta", "Lampedusa", "Patras", "Constanta", "Durres"]
    for i, place in enumerate(places):
        name = f"doc{i}.txt"
        (corpus / name).write_text(
            f"Report {i} on {place}\n\nIn {2010 + i} the {place} office recorded {100 + i * 7} smuggling cases at the "
            f"port of {place}. Officers in {place} trained {i + 3} dog teams to search lorries for smuggled migrants.",
            encoding="utf-8",
        )
        chosen = rng.sample(groups, rng.choice([0, 0, 1, 2]))
        if chosen:
            restricted[name] = set(chosen)
            catalog.append(f'["{name}"]\ngroups = [' + ", ".join(f'"{g}"' for g in chosen) + "]")
    (corpus / "catalog.toml").write_text("\n".join(catalog) + "\n", encoding="utf-8")
    settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=tmp_path / "index")
    assert not ingest(settings).skipped and restricted
    local = Assistant.from_settings(settings)
    asked = 0
    for user in random_users(rng, groups, 12):
        may = {f"doc{i}.txt" for i in range(len(places))}
        may -= {s for s, g in restricted.items() if not (user.admin or g & user.groups)}
        assert {str(d["source"]) for d in local.documents(user)} == may
        for _ in range(3):
            place = rng.choice(places)
            question = rng.choice(
                [
                    f"How many smuggling cases did the {place} office record?",
                    f"How many dog teams were trained in {place}?",
                ]
            )
            answer = local.ask(question, user=user, k=rng.choice([3, 10, 30]))
            assert sources_in(answer) <= may, (user, question)
            found = local.search(f"smuggling {place}", k=30, user=user)
            assert {h.chunk.source for h in found.hits} <= may
            asked += 1
    assert asked == 36


def test_the_cli_answers_as_an_account_when_asked_to(library: Settings, tmp_path: Path) -> None:
    """`search`, `ask` and `brief --as-user NAME` use only what that account may read; without it, everything."""
    import json
    import os
    import subprocess
    import sys

    from assistant.accounts import users

    db = tmp_path / "accounts.db"
    users.add_user(db, "tina", "trainee", "long enough")
    env = dict(
        os.environ,
        ASSISTANT_INDEX_DIR=str(library.index_dir),
        ASSISTANT_CORPUS_DIR=str(library.corpus_dir),
        ASSISTANT_ACCOUNTS_DB=str(db),
        ASSISTANT_CONFIG="/nonexistent.toml",
    )

    def start(*args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "assistant", *args]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
        out, err = process.communicate(timeout=300)
        return process.returncode, out, err

    def sources(process: subprocess.Popen[str]) -> set[str]:
        code, out, err = finish(process)
        assert code == 0, err
        return {hit["source"] for hit in json.loads(out)["hits"]}

    # The three commands run side by side: each loads the model on its own core.
    everything = start("search", "Nightjar smugglers Ravenna", "--json")
    as_tina = start("search", "Nightjar smugglers Ravenna", "--json", "--as-user", "tina")
    as_nobody = start("ask", "Who?", "--as-user", "nobody")
    try:
        assert INVESTIGATION in sources(everything)
        assert sources(as_tina) <= {OPEN}
        code, _, err = finish(as_nobody)
        assert code != 0 and "No account named 'nobody'" in err
    finally:
        for process in (everything, as_tina, as_nobody):
            process.kill()  # a no-op for those that ended
            process.wait()
