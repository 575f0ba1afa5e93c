"""Start the dashboard the way the settings say: ``python -m ui.serve [--port N] [streamlit options]``.

Without sign-in settings it listens on 127.0.0.1 only. With them it listens on every interface and hands
Streamlit its ``[auth]`` secrets in a file only this user can read, removed when the dashboard stops.
An explicit ``--server.address`` wins (a container listens on 0.0.0.0 inside, a unit behind a proxy on 127.0.0.1).
A bad setting stops start-up with one line naming it (exit code 2), like the worker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings
from core.signin import secrets_toml

ROOT = Path(__file__).resolve().parents[1]


def streamlit_command(settings: Settings, port: int, secrets_file: Path | None, extra: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port)]
    if not any(a == "--server.address" or a.startswith("--server.address=") for a in extra):
        cmd += ["--server.address", settings.dashboard_address]
    if secrets_file is not None:
        cmd += ["--secrets.files", str(secrets_file)]
    return cmd + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    args, extra = parser.parse_known_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration problem: {exc}", file=sys.stderr)
        return 2
    private = Path(tempfile.mkdtemp(prefix="rotadesk-auth-")) if settings.signin_enabled else None
    try:
        secrets_file = None
        if private is not None:
            secrets_file = private / "secrets.toml"
            fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets_toml(settings))
        else:
            print("No sign-in configured: the dashboard listens on 127.0.0.1 only, open to anyone on this machine.",
                  file=sys.stderr)
        child = subprocess.Popen(streamlit_command(settings, args.port, secrets_file, extra), cwd=ROOT)
        # Pass a stop on to Streamlit and clean up after it, whichever way we are asked to stop.
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.terminate()
            return child.wait()
    finally:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
