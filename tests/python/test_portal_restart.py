"""Requests survive a restart (portal.md, Rules): `smartsessions serve` is stopped while one
request is being sent (to an SMTP server that never answers) and another waits in the queue;
started again, with a working SMTP server, it sends both. The export's pool of processes ends
with the server, stopped or killed. And nothing secret (the password, the session, a signed
link, the signing key) appears in the server's output."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx2
import pytest
from portal_kit import (
    ANN,
    LINK,
    PASSWORD,
    SmtpServer,
    csrf_of,
    free_port,
    request_row,
    settings_for,
    wait_until,
)

SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")


class SilentSmtp:
    """Accepts connections and never says a word: a send waits on it until stopped."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.listener.close()
        for connection in self.held:
            connection.close()


class Serve:
    """`smartsessions serve` as a process of its own, its output kept."""

    def __init__(self, db: Path, port: int, env: dict[str, str], log: Path):
        self.port = port
        self.log = log
        self.out = log.open("ab")
        command = [SMARTSESSIONS, "serve", "--db", str(db), "--port", str(port)]
        self.process = subprocess.Popen(command, env=env, stdout=self.out, stderr=self.out)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> "Serve":
        def up():
            assert self.process.poll() is None, self.log.read_text()
            try:
                return httpx2.get(f"{self.url}/login").status_code == 200
            except httpx2.TransportError:
                return False

        wait_until(up, what="smartsessions serve to start")
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        self.out.close()

    def __exit__(self, *_exc) -> None:
        self.stop()


def log_in(url: str) -> httpx2.Client:
    client = httpx2.Client(base_url=url, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    fields = {"csrf_token": token, "email": ANN, "password": PASSWORD, "next": "/events"}
    assert client.post("/login", data=fields).status_code == 303
    return client


def ask(client: httpx2.Client, day: str) -> int:
    page = "/events/LDN26/smart-sessions/report"
    token = csrf_of(client.get(page).text)
    answer = client.post(page, data={"csrf_token": token, "from": day, "to": day})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


@pytest.fixture
def env(portal_db, tmp_path):
    """The portal's settings as an operator sets them: the environment."""
    env = {name: value for name, value in os.environ.items() if "SMARTSESSIONS" not in name}
    env |= {
        "SMARTSESSIONS_APP_DB": str(tmp_path / "portal.sqlite3"),
        "SMARTSESSIONS_OUTBOX": str(tmp_path / "outbox"),
        "SMARTSESSIONS_REPORTS": str(tmp_path / "reports"),
        "SMARTSESSIONS_SMTP_HOST": "127.0.0.1",
        "SMARTSESSIONS_SMTP_TIMEOUT": "120",
        "SMARTSESSIONS_WORKERS": "1",
    }
    add = [SMARTSESSIONS, "--db", str(portal_db), "user", "add", ANN, "--event", "LDN26"]
    added = subprocess.run(
        [*add, "--password-stdin"],
        input=PASSWORD,
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    return env


def test_requests_queued_and_running_are_sent_after_a_restart(portal_db, tmp_path, env):
    settings = settings_for(portal_db, tmp_path, app_db=tmp_path / "portal.sqlite3")
    log = tmp_path / "serve.log"
    with SilentSmtp() as silent:
        first = Serve(
            portal_db, free_port(), env | {"SMARTSESSIONS_SMTP_PORT": str(silent.port)}, log
        )
        with first:
            client = log_in(first.url)
            sending, waiting = ask(client, "2026-03-29"), ask(client, "2026-03-30")
            # the one worker has made the first workbook and waits for the silent server
            wait_until(lambda: silent.held and request_row(settings, sending)["workbook"])
            session = client.cookies["smartsessions_session"]
            client.close()
            helpers = children(first.process.pid)  # the export's pool, and its tracker
            assert helpers
        # stopped as a service manager stops it (uvicorn ends by re-raising the signal)
        assert first.process.returncode in (0, -signal.SIGTERM)
        wait_until(lambda: not any(map(running, helpers)), what="the pool's processes to end")
    assert request_row(settings, sending)["state"] == "running"
    assert request_row(settings, waiting)["state"] == "queued"

    with SmtpServer() as smtp:
        again = env | {"SMARTSESSIONS_SMTP_PORT": str(smtp.port)}
        with Serve(portal_db, free_port(), again, log) as second:
            wait_until(lambda: len(smtp.received) == 2, what="both emails")
            rows = [wait_until(lambda n=n: _sent(settings, n)) for n in (sending, waiting)]
            helpers = children(second.process.pid)
            second.process.kill()  # no exit handler runs: the pool's processes see it alone
            second.process.wait(60)
        wait_until(lambda: not any(map(running, helpers)), what="the pool's processes to end")
    assert [row["send_attempts"] for row in rows] == [1, 1]
    subjects = sorted(message["Subject"] for message in smtp.received)
    assert subjects == [
        "Smart Sessions report — LDN26 — 2026-03-29 to 2026-03-29",
        "Smart Sessions report — LDN26 — 2026-03-30 to 2026-03-30",
    ]

    output = log.read_text()
    key_file = tmp_path / "portal.key"
    assert f"no SMARTSESSIONS_SECRET_KEY: signing with the key in {key_file} (generated now" in (
        output
    )
    assert "(generated earlier, owner-only)" in output
    assert "2 request(s) left queued or running: running them again" in output
    tokens = [LINK.search(m.get_body(("plain",)).get_content()).group(0) for m in smtp.received]
    secrets = [PASSWORD, session, key_file.read_text().strip()]
    secrets += [link.rsplit("/", 1)[1] for link in tokens]
    for secret in secrets:
        assert secret not in output
    assert re.search(r"GET /login 200 \d+ ms", output)  # requests are logged, paths only


def children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's parent may be slow to reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _sent(settings, request_id):
    row = request_row(settings, request_id)
    return row if row["state"] == "sent" else None
