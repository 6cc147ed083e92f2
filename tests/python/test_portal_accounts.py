"""The portal's accounts from the command line (`smartsessions user ...`), its settings from the
environment, the signing key kept beside its state, and `serve` refusing in one line."""

import os
import socket
import stat

import pytest
from portal_kit import ODD, PASSWORD, free_port, settings_for
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.errors import SmartSessionsError
from smartsessions.portal import server
from smartsessions.portal.accounts import Accounts
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.settings import Settings, with_secret_key
from smartsessions.portal.state import State


@pytest.fixture
def env(portal_db, tmp_path, monkeypatch):
    """The portal's state in a folder of the test's own."""
    state = tmp_path / "state.sqlite3"
    for name in list(os.environ):
        if name.startswith("SMARTSESSIONS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMARTSESSIONS_DB", str(portal_db))
    monkeypatch.setenv("SMARTSESSIONS_APP_DB", str(state))
    return state


def user(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["user", *args], input=stdin)


def test_add_list_grant_revoke_remove(env):
    added = user("add", "Ann@Example.com", "--event", "LDN26", "--password-stdin", stdin=PASSWORD)
    assert (added.exit_code, added.stdout) == (0, "added ann@example.com  LDN26\n")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600  # it holds password hashes
    (password_hash,) = State(env).one("select password_hash from accounts")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD.encode() not in env.read_bytes()
    assert user("grant", "ann@example.com", "oth26").stdout == "ann@example.com  LDN26, OTH26\n"
    listed = user("list")
    assert (listed.exit_code, listed.stdout) == (0, "ann@example.com  LDN26, OTH26\n")
    assert user("revoke", "ann@example.com", "LDN26").stdout == "ann@example.com  OTH26\n"
    removed = user("remove", "ann@example.com")
    assert (removed.exit_code, removed.stdout) == (0, "removed ann@example.com\n")
    assert user("list").stdout.startswith("no accounts yet")


def test_the_password_is_asked_twice(env):
    typed = user("add", "bob@example.org", "--event", "OTH26", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    assert typed.stdout.count("Password") == 1 and "Repeat for confirmation" in typed.stdout
    assert PASSWORD not in typed.output  # hidden as it is typed
    accounts = Accounts(State(env), Catalog(Settings.from_environ(env).db_path))
    assert accounts.authenticate("bob@example.org", PASSWORD, 5, 15) is not None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["add", "ann@example.com", "--event", "NOPE", "--password-stdin"],
            PASSWORD,
            f"error: unknown event code 'NOPE'; known codes: LDN26, OTH26, {ODD}\n",
        ),
        (["grant", "ann@example.com", "XX1"], None, "error: no account for 'ann@example.com'\n"),
        (
            ["add", "not-an-address", "--event", "LDN26", "--password-stdin"],
            PASSWORD,
            "error: 'not-an-address' is not an email address\n",
        ),
        (
            ["add", "ann@example.com", "--event", "LDN26", "--password-stdin"],
            "short",
            "error: a password needs at least 10 characters\n",
        ),
        (["remove", "nobody@example.com"], None, "error: no account for 'nobody@example.com'\n"),
    ],
    ids=["unknown code", "unknown account", "not an email", "short password", "remove unknown"],
)
def test_mistakes_are_one_line(env, args, stdin, message):
    result = user(*args, stdin=stdin)
    assert (result.exit_code, result.stderr) == (1, message)


def test_a_code_granted_must_be_published(env):
    user("add", "ann@example.com", "--event", "LDN26", "--password-stdin", stdin=PASSWORD)
    refused = user("grant", "ann@example.com", "LDN27")
    assert (
        refused.stderr == f"error: unknown event code 'LDN27'; known codes: LDN26, OTH26, {ODD}\n"
    )
    twice = user("add", "ann@example.com", "--event", "LDN26", "--password-stdin", stdin=PASSWORD)
    assert twice.stderr.startswith("error: ann@example.com already has an account")
    assert user("revoke", "ann@example.com", "OTH26").stderr == (
        "error: ann@example.com has no grant for 'OTH26'\n"
    )


def test_a_new_password_unlocks_and_ends_the_sessions(env):
    user("add", "ann@example.com", "--event", "LDN26", "--password-stdin", stdin=PASSWORD)
    state = State(env)
    accounts = Accounts(state, Catalog(Settings.from_environ(env).db_path))
    for _ in range(5):
        assert accounts.authenticate("ann@example.com", "wrong guess!", 5, 15) is None
    assert accounts.authenticate("ann@example.com", PASSWORD, 5, 15) is None  # locked
    assert "(locked until" in user("list").stdout
    state.run("insert into sessions values ('h', 1, 0, 9e99)")
    changed = user("password", "ann@example.com", "--password-stdin", stdin="a new long password")
    assert (changed.exit_code, changed.stdout) == (0, "new password for ann@example.com\n")
    assert accounts.authenticate("ann@example.com", "a new long password", 5, 15) is not None
    assert state.one("select count(*) from sessions")[0] == 0


def test_user_commands_refuse_a_missing_database(tmp_path):
    missing = tmp_path / "mistyped.duckdb"
    result = CliRunner().invoke(app, ["user", "list", "--db", str(missing)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: no database at {missing}: load a delivery first\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_settings_from_the_environment(portal_db):
    defaults = Settings.from_environ(portal_db, environ={})
    assert defaults.app_db == portal_db.with_name("portal.portal.sqlite3")
    assert defaults.outbox == portal_db.parent / "outbox"
    assert defaults.reports_dir == portal_db.with_name("portal.reports")
    assert (defaults.link_days, defaults.attach_max_mb, defaults.requests_per_hour) == (7, 10, 10)
    assert (defaults.lockout_failures, defaults.lockout_minutes) == (5, 15)
    assert (defaults.workers, defaults.retry_seconds, defaults.smtp) == (4, (30, 120), None)
    assert not defaults.secure_cookies
    given = Settings.from_environ(
        portal_db,
        environ={
            "SMARTSESSIONS_BASE_URL": "https://reports.example.com/",
            "SMARTSESSIONS_SMTP_HOST": "mail.example.com",
            "SMARTSESSIONS_SMTP_PORT": "587",
            "SMARTSESSIONS_SMTP_USER": "portal",
            "SMARTSESSIONS_SMTP_PASSWORD": "smtp-secret",
            "SMARTSESSIONS_SMTP_STARTTLS": "true",
            "SMARTSESSIONS_SECRET_KEY": "k" * 40,
            "SMARTSESSIONS_REQUESTS_PER_HOUR": "3",
            "SMARTSESSIONS_SMTP_RETRY_SECONDS": "1,2.5",
        },
    )
    assert given.base_url == "https://reports.example.com" and given.secure_cookies
    smtp = given.smtp
    assert (smtp.host, smtp.port, smtp.user, smtp.starttls) == (
        "mail.example.com",
        587,
        "portal",
        True,
    )
    assert (given.requests_per_hour, given.retry_seconds) == (3, (1.0, 2.5))
    assert "smtp-secret" not in repr(given) and "k" * 40 not in repr(given)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMTP_PORT", "twenty-five", "expected a number >= 1"),
        ("SMTP_STARTTLS", "yes", "expected true or false"),
        ("LINK_DAYS", "0", "expected a number >= 1"),
        ("SMTP_RETRY_SECONDS", "30;120", "expected seconds separated by commas"),
    ],
)
def test_a_setting_that_does_not_parse_is_one_line(portal_db, name, value, message):
    environ = {"SMARTSESSIONS_SMTP_HOST": "mail.example.com", f"SMARTSESSIONS_{name}": value}
    with pytest.raises(SmartSessionsError, match=f"SMARTSESSIONS_{name}='{value}': {message}"):
        Settings.from_environ(portal_db, environ=environ)


def test_the_signing_key_is_made_once_owner_only(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path, secret_key=None)
    made, line = with_secret_key(settings)
    key_file = tmp_path / "portal.key"
    assert line == (
        f"no SMARTSESSIONS_SECRET_KEY: signing with the key in {key_file}"
        " (generated now, owner-only)"
    )
    assert made.secret_key not in line
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again, line = with_secret_key(settings)
    assert again.secret_key == made.secret_key and "(generated earlier" in line
    key_file.chmod(0o644)
    with pytest.raises(SmartSessionsError, match="is readable by others: chmod 600"):
        with_secret_key(settings)
    from_environment, line = with_secret_key(settings_for(portal_db, tmp_path))
    assert line is None and from_environment.secret_key != made.secret_key


def test_serve_refuses_in_one_line(portal_db, tmp_path):
    missing = tmp_path / "mistyped.duckdb"
    result = CliRunner().invoke(app, ["serve", "--db", str(missing)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: no database at {missing}: load a delivery first\n",
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(app, ["serve", "--db", str(portal_db), "--port", str(port)])
    assert busy.exit_code == 1
    assert busy.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_serve_refuses_a_state_in_a_missing_folder(portal_db, tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder"
    monkeypatch.delenv("SMARTSESSIONS_SECRET_KEY", raising=False)
    monkeypatch.setenv("SMARTSESSIONS_APP_DB", str(missing / "state.sqlite3"))
    monkeypatch.setattr(server, "run", lambda *_: pytest.fail("serve started"))
    port = str(free_port())
    result = CliRunner().invoke(app, ["serve", "--db", str(portal_db), "--port", port])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: SMARTSESSIONS_APP_DB='{missing}/state.sqlite3': folder {missing} does not exist\n",
    )
    assert not missing.exists()


def test_the_state_folder_must_exist(portal_db, tmp_path):
    with pytest.raises(SmartSessionsError, match="for the portal's state does not exist"):
        State(tmp_path / "no-such-folder" / "state.sqlite3")
