"""`python -m ui.serve`, what `make demo` and `make run` start (issue 11): where it listens, and the sign-in
secrets it hands Streamlit."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.support.browser import start_dashboard
from tests.unit.test_access import SIGNIN
from ui import serve


class FakeChild:
    """Stands in for the Streamlit process: records what it was started with and what it could read."""

    started: list[FakeChild] = []

    def __init__(self, cmd: list[str], cwd: Path) -> None:
        self.cmd = cmd
        self.secrets: dict | None = None
        self.mode: int | None = None
        FakeChild.started.append(self)

    def wait(self) -> int:
        if "--secrets.files" in self.cmd:
            path = Path(self.cmd[self.cmd.index("--secrets.files") + 1])
            self.mode = stat.S_IMODE(path.stat().st_mode)
            self.secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        return 0

    def terminate(self) -> None:
        pass


@pytest.fixture
def fake_streamlit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    FakeChild.started.clear()
    monkeypatch.setattr(serve.subprocess, "Popen", FakeChild)
    monkeypatch.chdir(tmp_path)  # no .env from the project
    for name in [n for n in os.environ if n.startswith("ROTADESK_")]:
        monkeypatch.delenv(name)
    return FakeChild.started


def option(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_without_sign_in_it_listens_on_localhost_and_passes_no_secrets(fake_streamlit) -> None:
    assert serve.main(["--port", "8123"]) == 0
    [child] = fake_streamlit
    assert option(child.cmd, "--server.address") == "127.0.0.1" and option(child.cmd, "--server.port") == "8123"
    assert "--secrets.files" not in child.cmd


def test_with_sign_in_streamlit_reads_its_auth_table_from_a_private_file_removed_afterwards(
        fake_streamlit, monkeypatch) -> None:
    for name, value in SIGNIN.items():
        monkeypatch.setenv(name, value)
    assert serve.main(["--port", "8123", "--server.headless", "true"]) == 0
    [child] = fake_streamlit
    assert option(child.cmd, "--server.address") == "0.0.0.0"
    assert child.cmd[-2:] == ["--server.headless", "true"]  # other options go on to Streamlit
    assert child.mode == 0o600
    assert child.secrets == {"auth": {
        "redirect_uri": "https://rotadesk.ourco.com/oauth2callback", "cookie_secret": SIGNIN["ROTADESK_COOKIE_SECRET"],
        "client_id": "rotadesk", "client_secret": "client-secret-value",
        "server_metadata_url": SIGNIN["ROTADESK_OIDC_METADATA_URL"]}}
    assert not Path(option(child.cmd, "--secrets.files")).exists()


def test_a_bad_setting_stops_it_with_exit_code_2(fake_streamlit, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ROTADESK_SIGNIN_ALLOW", "@ourco.com")
    assert serve.main([]) == 2
    assert fake_streamlit == []
    assert "ROTADESK_OIDC_METADATA_URL" in capsys.readouterr().err


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port``, read from the kernel's table."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_real_dashboard_without_sign_in_listens_on_the_loopback_address_only(tmp_path: Path) -> None:
    env = {"ROTADESK_DB": str(tmp_path / "t.db"), "ROTADESK_DATA_DIR": str(tmp_path / "data")}
    proc, url = start_dashboard(env, tmp_path / "streamlit.log", launcher=True)
    try:
        assert httpx.get(f"{url}/_stcore/health", timeout=5).text.strip() == "ok"
        assert listening_addresses(int(url.rsplit(":", 1)[1])) == {"0100007F"}  # 127.0.0.1, and nothing else
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_an_explicit_address_wins(fake_streamlit) -> None:
    # A container listens on every interface inside (its published port decides who reaches it).
    assert serve.main(["--server.address", "0.0.0.0"]) == 0
    [child] = fake_streamlit
    assert child.cmd.count("--server.address") == 1 and option(child.cmd, "--server.address") == "0.0.0.0"
