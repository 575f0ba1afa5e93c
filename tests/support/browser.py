"""A real dashboard in a real browser: ``streamlit run`` on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Streamlit's own command line, in a process whose clock time-machine has moved (it keeps ticking).
FROZEN_STREAMLIT = ("import sys, time_machine; time_machine.travel({at!r}, tick=True).start(); "
                    "from streamlit.web.cli import main; sys.argv = ['streamlit', *sys.argv[1:]]; main()")

# ``python -m ui.serve`` whose Streamlit child runs as above.
FROZEN_LAUNCHER = ("import sys, ui.serve as serve; command = serve.streamlit_command; "
                   "serve.streamlit_command = lambda *a: [sys.executable, '-c', {frozen!r}, *command(*a)[3:]]; "
                   "sys.exit(serve.main(sys.argv[1:]))")


def start_dashboard(env: dict[str, str], log_path: Path, timeout: float = 60.0, *, port: int | None = None,
                    launcher: bool = False, clock_at: datetime | None = None) -> tuple[subprocess.Popen, str]:
    """``streamlit run dashboard.py`` on 127.0.0.1, or with ``launcher`` the way ``make run`` starts it
    (``python -m ui.serve``, which binds and configures sign-in from the settings). ``clock_at`` runs the
    dashboard with its clock at that moment, so a test never depends on the day it runs."""
    port = port or free_port()
    options = ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    frozen = FROZEN_STREAMLIT.format(at=clock_at.isoformat()) if clock_at else None
    if launcher:
        start = ["-c", FROZEN_LAUNCHER.format(frozen=frozen)] if frozen else ["-m", "ui.serve"]
        cmd = [sys.executable, *start, "--port", str(port), *options]
    else:
        start = ["-c", frozen] if frozen else ["-m", "streamlit"]
        cmd = [sys.executable, *start, "run", "dashboard.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", *options]
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    pytest.fail(f"the dashboard did not start; its output:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (shutil.which("chromium") or Path(CHROMIUM).exists()):
        # Never a skip: under CI a missing browser must turn the run red.
        pytest.fail("Chromium is required for the browser tests: apt-get install -y chromium (make test does it)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
