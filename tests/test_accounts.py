"""The accounts database and `assistant users ...`: real SQLite files in tmp_path, the CLI run through its main()."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from assistant.accounts import audit, lockout, sessions, tokens, users
from assistant.accounts.passwords import hash_password, verify_password
from assistant.accounts.roles import User
from assistant.accounts.store import AccountError
from assistant.cli.run import main

PASSWORD = "correct horse"


def test_password_hash_round_trip_and_wrong_password() -> None:
    stored = hash_password(PASSWORD)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**15), "8", "1") and PASSWORD not in stored
    assert verify_password(PASSWORD, stored)
    assert not verify_password("correct horsf", stored)
    assert not verify_password(PASSWORD, "scrypt$bad") and not verify_password(PASSWORD, "")
    assert hash_password(PASSWORD) != stored  # a fresh salt each time


def test_users_groups_and_refusals(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    assert not users.has_users(db) and not db.exists()  # asking does not create the file
    users.add_user(db, "ana.k@iom", "staff", PASSWORD, ("north", "legal-team"))
    assert users.has_users(db)
    assert users.get_user(db, "ana.k@iom") == User("ana.k@iom", "staff", frozenset({"north", "legal-team"}))
    assert users.authenticate(db, "ana.k@iom", PASSWORD) is not None
    assert users.authenticate(db, "ana.k@iom", "wrong password") is None
    assert users.authenticate(db, "nobody", PASSWORD) is None
    for name, role, password, groups, message in [
        ("ana.k@iom", "staff", PASSWORD, (), "already exists"),
        ("bob", "boss", PASSWORD, (), "Unknown role"),
        ("bob", "staff", "short", (), "too short"),
        ("bob smith", "staff", PASSWORD, (), "Bad user name"),
        ("x" * 65, "staff", PASSWORD, (), "Bad user name"),
        ("bob", "staff", PASSWORD, ("no spaces",), "Bad group name"),
    ]:
        with pytest.raises(AccountError, match=message):
            users.add_user(db, name, role, password, groups)
    assert [u.name for u in users.list_users(db)] == ["ana.k@iom"]
    with sqlite3.connect(db) as conn:  # WAL, the schema version, and no clear password anywhere
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert not conn.execute("SELECT 1 FROM users WHERE password LIKE ?", (f"%{PASSWORD}%",)).fetchone()


def test_other_tables_in_the_file_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    with sqlite3.connect(db) as conn:  # a table that none of the migrations makes, as another tool might add
        conn.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, user TEXT)")
        conn.execute("INSERT INTO notes (user) VALUES ('ana')")
    users.add_user(db, "ana", "trainee", PASSWORD)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT user FROM notes").fetchall() == [("ana",)]


def test_sessions_and_tokens_are_stored_hashed_and_end(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    users.add_user(db, "ana", "trainee", PASSWORD)
    session_id, other = sessions.create_session(db, "ana"), sessions.create_session(db, "ana")
    token = tokens.create_token(db, "ana")
    assert session_id != other and sessions.session_user(db, session_id) == "ana"
    assert tokens.token_user(db, token) == "ana" and tokens.token_user(db, token + "x") is None
    raw = db.read_bytes() + (
        db.with_name(db.name + "-wal").read_bytes() if db.with_name(db.name + "-wal").exists() else b""
    )
    assert session_id.encode() not in raw and token.encode() not in raw
    assert sessions.session_user(db, session_id, idle_s=-1) is None  # idle too long
    assert sessions.end_session(db, session_id) == "ana" and sessions.session_user(db, session_id) is None
    assert sessions.session_user(db, other) == "ana"
    assert sessions.end_sessions(db, "ana") == 1 and sessions.session_user(db, other) is None
    expired = sessions.create_session(db, "ana", max_age_s=-1)
    assert sessions.session_user(db, expired) is None


def test_lockout_counts_names_and_addresses(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    for i in range(lockout.MAX_FAILURES - 1):
        lockout.record_failure(db, "ana", f"10.0.0.{i}")
    assert not lockout.locked(db, "ana", "10.0.0.9")
    lockout.record_failure(db, "ana", "10.0.0.9")
    assert lockout.locked(db, "ana", "10.0.0.99")  # by name, from any address
    assert not lockout.locked(db, "bob", "10.0.0.99")
    for name in ("a", "b", "c", "d", "e"):
        lockout.record_failure(db, name, "10.9.9.9")
    assert lockout.locked(db, "zed", "10.9.9.9")  # by address, for any name
    lockout.clear_failures(db, "ana")
    assert not lockout.locked(db, "ana", "10.0.0.99")


# --- the command line --------------------------------------------------------------------------------


def cli(monkeypatch: pytest.MonkeyPatch, config: Path, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--config", str(config), *argv])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "assistant.toml"
    path.write_text(f'index_dir = "index"\ncorpus_dir = "corpus"\naccounts_db = "{tmp_path / "accounts.db"}"\n')
    return path


def test_cli_add_list_passwd_remove(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "accounts.db"
    add = ["users", "add", "ana", "--role", "staff", "--group", "north", "--group", "south", "--password-stdin"]
    assert cli(monkeypatch, config, *add, stdin=PASSWORD + "\n") == 0
    assert users.authenticate(db, "ana", PASSWORD) == User("ana", "staff", frozenset({"north", "south"}))
    capsys.readouterr()
    for argv, stdin, message in [
        (add, PASSWORD + "\n", "already exists"),
        (["users", "add", "bob", "--role", "boss", "--password-stdin"], PASSWORD + "\n", "Unknown role"),
        (["users", "add", "bob", "--role", "staff", "--password-stdin"], "short\n", "too short"),
    ]:
        assert cli(monkeypatch, config, *argv, stdin=stdin) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and err.startswith("error: ")
    assert users.get_user(db, "bob") is None

    assert cli(monkeypatch, config, "users", "list") == 0
    out = capsys.readouterr().out
    assert "ana" in out and "staff" in out and "north,south" in out and "scrypt" not in out

    session_id = sessions.create_session(db, "ana")
    assert cli(monkeypatch, config, "users", "passwd", "ana", "--password-stdin", stdin="new password\n") == 0
    assert users.authenticate(db, "ana", "new password") and not users.authenticate(db, "ana", PASSWORD)
    assert sessions.session_user(db, session_id) is None  # a changed password ends the sessions

    session_id, token = sessions.create_session(db, "ana"), tokens.create_token(db, "ana")
    assert cli(monkeypatch, config, "users", "remove", "ana") == 0
    assert users.get_user(db, "ana") is None
    assert sessions.session_user(db, session_id) is None and tokens.token_user(db, token) is None
    assert cli(monkeypatch, config, "users", "remove", "ana") == 2

    assert cli(monkeypatch, config, "users", "audit", "--limit", "10") == 0
    log = capsys.readouterr().out
    assert all(action in log for action in ("user-add", "user-passwd", "user-remove"))
    assert "cli" in log and PASSWORD not in log and "new password" not in log


def test_cli_tokens_shown_once_and_revoked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "accounts.db"
    users.add_user(db, "eva", "evaluator", PASSWORD)
    assert cli(monkeypatch, config, "users", "token", "eva") == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert cli(monkeypatch, config, "users", "token", "eva") == 0
    second = capsys.readouterr().out.strip().splitlines()[-1]
    assert tokens.token_user(db, first) == tokens.token_user(db, second) == "eva"
    assert cli(monkeypatch, config, "users", "list") == 0
    assert capsys.readouterr().out.splitlines()[-1].split()[-1] == "2"  # two active tokens

    assert cli(monkeypatch, config, "users", "token", "eva", "--revoke", first[:8]) == 0
    assert tokens.token_user(db, first) is None and tokens.token_user(db, second) == "eva"
    assert cli(monkeypatch, config, "users", "token", "eva", "--revoke") == 0
    assert tokens.token_user(db, second) is None
    assert cli(monkeypatch, config, "users", "token", "nobody") == 2
    assert [e.action for e in audit.recent(db)] == ["token-create", "token-create", "token-revoke", "token-revoke"]
    assert all(first not in e.detail and second not in e.detail for e in audit.recent(db))
