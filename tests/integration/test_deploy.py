"""The container image, the compose file and the systemd units agree with the code they start.

There is not always a container engine to build the image with (``scripts/check-image.sh`` builds and checks it
where one runs), so the files are checked as text: every command
they run parses with Rotadesk's own command line, the image runs as a fixed non-root user, every service shares
the one data volume, and each health check is ``python -m ingest health`` aimed at its own service. The units go
through ``systemd-analyze verify`` (``make test`` installs systemd).
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ingest.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
UNITS = sorted((ROOT / "deploy" / "systemd").glob("rotadesk-*.*"))
APP = "/app"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def assert_runs_rotadesk(argv: list[str], where: str) -> None:
    """``argv`` is a command this checkout has: ``python -m ingest ...`` that parses, or the dashboard."""
    if argv[:3] == ["python", "-m", "ingest"] or (argv[0].endswith("/python") and argv[1:3] == ["-m", "ingest"]):
        try:
            build_parser().parse_args(argv[3:])
        except SystemExit:
            pytest.fail(f"{where}: `{shlex.join(argv)}` is not a valid Rotadesk command")
    elif Path(argv[0]).name == "python" and argv[1:3] == ["-m", "ui.serve"]:
        # The dashboard's launcher: it hands Streamlit the sign-in settings and the address to listen on.
        assert (ROOT / "ui" / "serve.py").is_file() and "--port" in argv, f"{where}: {argv}"
    else:
        pytest.fail(f"{where}: `{shlex.join(argv)}` starts nothing Rotadesk has")


# -- the image -------------------------------------------------------------------------------------------------
def test_the_image_is_slim_python_3_11_and_runs_as_a_fixed_non_root_user() -> None:
    steps = instructions()
    base = [args for kw, args in steps if kw == "FROM"]
    assert base == [base[0]] and re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", base[0]), base
    users = [args for kw, args in steps if kw == "USER"]
    assert users, "the image must say which user it runs as"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit(), "a numeric non-root USER (Kubernetes can check it)"
    created = " ".join(args for kw, args in steps if kw == "RUN")
    assert f"--uid {user}" in created, "the USER is created in the image"
    assert f"chown rotadesk:rotadesk {APP}/data" in created


def test_the_image_holds_what_the_commands_import_and_nothing_secret() -> None:
    copied = {args.split()[0].rstrip("/") for kw, args in instructions() if kw == "COPY"}
    for needed in ("requirements.txt", "core", "ingest", "ui", "pages", "dashboard.py", ".streamlit", "data/samples"):
        assert needed in copied, f"the image lacks {needed}"
    pages = re.findall(r'st\.Page\("([^"]+)"', (ROOT / "dashboard.py").read_text(encoding="utf-8"))
    assert pages and all(p.split("/")[0] in copied for p in pages)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for secret in (".env", ".venv/", "data/*.db", "data/raw/", "data/attachments/", ".git/"):
        assert secret in ignored, f".dockerignore must keep {secret} out of the image"


def test_the_image_defaults_agree_with_the_settings_and_the_volume() -> None:
    env = dict(re.findall(r"(ROTADESK_\w+)=(\S+)", " ".join(a for kw, a in instructions() if kw == "ENV")))
    assert env["ROTADESK_DATA_DIR"] == f"{APP}/data" and Path(env["ROTADESK_DB"]).parent == Path(f"{APP}/data")
    assert any(kw == "VOLUME" and f"{APP}/data" in a for kw, a in instructions())
    command = next(a for kw, a in instructions() if kw == "CMD")
    assert_runs_rotadesk(yaml.safe_load(command), "Dockerfile CMD")
    health = next(a for kw, a in instructions() if kw == "HEALTHCHECK")
    argv = yaml.safe_load(health.split(" CMD ", 1)[1])
    assert argv[:4] == ["python", "-m", "ingest", "health"]
    assert_runs_rotadesk(argv, "Dockerfile HEALTHCHECK")


# -- compose ---------------------------------------------------------------------------------------------------
def test_compose_runs_the_worker_dashboard_and_webhook_from_one_image_on_one_volume() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"worker", "dashboard", "webhook"}
    assert len({(s["build"], s["image"]) for s in services.values()}) == 1, "one image for all three"
    assert list(COMPOSE["volumes"]) == ["rotadesk-data"]
    for name, service in services.items():
        assert service["volumes"] == [f"rotadesk-data:{APP}/data"], name
        assert_runs_rotadesk(service["command"], f"compose service {name}")
    assert services["worker"]["command"][3] == "run"
    assert services["webhook"]["command"][3] == "webhook"
    assert services["dashboard"]["command"][:3] == ["python", "-m", "ui.serve"]


@pytest.mark.parametrize("name", ["worker", "dashboard", "webhook"])
def test_each_compose_health_check_is_ingest_health_aimed_at_its_own_service(name: str) -> None:
    service = COMPOSE["services"][name]
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1:5] == ["python", "-m", "ingest", "health"]
    assert_runs_rotadesk(test[1:], f"{name} health check")
    args = build_parser().parse_args(test[4:])
    if name == "worker":
        assert args.offline and args.only is None  # every part, from what the worker records
        return
    command = service["command"]
    port = command[command.index("--port" if "--port" in command else "--server.port") + 1]
    assert args.url.startswith(f"http://127.0.0.1:{port}/") and args.only == "database,http"
    assert any(p.endswith(f":{port}:{port}") for p in service["ports"])


# -- systemd ---------------------------------------------------------------------------------------------------
def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".service"], ids=lambda p: p.name)
def test_each_unit_runs_a_rotadesk_command_as_the_rotadesk_user(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["User"] == "rotadesk" and service["WorkingDirectory"] == "/opt/rotadesk"
    argv = shlex.split(service["ExecStart"])
    assert argv[0].startswith("/opt/rotadesk/.venv/bin/")
    assert_runs_rotadesk(argv, path.name)
    assert service["ProtectSystem"] == "strict" and "/opt/rotadesk/data" in service["ReadWritePaths"].split()


def test_there_is_a_unit_for_each_compose_service_and_a_timer_for_each_oneshot() -> None:
    names = {p.name for p in UNITS}
    assert {f"rotadesk-{s}.service" for s in COMPOSE["services"]} <= names
    for path in UNITS:
        if path.suffix == ".timer":
            assert path.with_suffix(".service").name in names
            assert unit(path.with_suffix(".service"))["Service"]["Type"] == "oneshot"


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:  # never a skip: `make test` installs systemd (scripts/system-deps.sh)
        pytest.fail("systemd-analyze is required: apt-get install -y systemd", pytrace=False)
    # The units name /opt/rotadesk; verify needs the programs to exist, so point them at this checkout.
    python = Path(sys.executable)
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace("/opt/rotadesk/.venv/bin/python", str(python))
        (tmp_path / path.name).write_text(text.replace("/opt/rotadesk", str(tmp_path)), encoding="utf-8")
    result = subprocess.run([tool, "verify", *sorted(str(p) for p in tmp_path.iterdir())], capture_output=True,
                            text=True, timeout=120)
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "rotadesk" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr
