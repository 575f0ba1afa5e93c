"""`python -m ingest` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.store import open_db
from ingest import demo_history

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
CONTRACT_KEYS = [
    "file",
    "message_id",
    "kind",
    "forwarded",
    "forwarded_by",
    "customer",
    "subject",
    "date",
    "body",
    "note",
    "attachments",
]


def cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    stdin: str = "",
) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")}
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_parse_prints_one_json_object_per_file_in_order() -> None:
    files = [
        str(SAMPLES / "02-outlook-forward-globex.eml"),
        str(SAMPLES / "07-out-of-office.eml"),
        str(SAMPLES / "04-forward-as-attachment-umbrella.eml"),
    ]
    result = cli("parse", *files, env={"ROTADESK_COMPANY_DOMAINS": "flowboard.io"})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == files
    assert all(list(line) == CONTRACT_KEYS for line in lines)
    globex, ooo, umbrella = lines
    assert globex["customer"] == {"name": "Hank Scorpio", "address": "hank.scorpio@globex.com"}
    assert globex["forwarded_by"] == {"name": "Tom Becker", "address": "tom.becker@flowboard.io"}
    assert globex["subject"] == "Webhook deliveries delayed by hours"
    assert "Gr\u00fc\u00dfe" in globex["body"] and globex["note"].startswith("Globex renewal")
    assert (ooo["kind"], umbrella["kind"]) == ("auto_reply", "report")
    assert umbrella["customer"]["address"] == "alice.abernathy@umbrella.co"
    assert umbrella["message_id"] == "fwd-attach-demo04@flowboard.io"


def test_parse_reports_an_unreadable_file_and_goes_on(tmp_path: Path) -> None:
    result = cli("parse", str(tmp_path / "missing.eml"), str(SAMPLES / "01-gmail-forward-acme.eml"))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "error" in lines[0] and lines[1]["subject"] == "CSV export times out for large workspaces"
    assert result.returncode == 1


def test_import_a_folder_then_again_creates_nothing_twice(tmp_path: Path) -> None:
    env = {
        "ROTADESK_DB": str(tmp_path / "t.db"),
        "ROTADESK_DATA_DIR": str(tmp_path / "data"),
        "ROTADESK_COMPANY_DOMAINS": "flowboard.io",
    }
    first = cli("import", str(SAMPLES), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "9 escalation, 1 followup, 2 ignored, 1 quarantined"
    second = cli("import", str(SAMPLES), env=env)
    assert second.stdout.strip().splitlines()[-1] == "13 duplicate"
    assert open_db(tmp_path / "t.db")["escalations"].count == 9


def test_import_of_a_missing_path_is_one_clear_line(tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "nope"), env={"ROTADESK_DB": str(tmp_path / "t.db")})
    assert result.returncode == 1
    assert (
        result.stderr.count("\n") == 1
        and "no such file or folder" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_demo_builds_a_database_with_the_sample_team(tmp_path: Path) -> None:
    result = cli("demo", "--db", str(tmp_path / "demo.db"), env={"PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    db = open_db(tmp_path / "demo.db")
    assert db["engineers"].count == 6
    assert db["rotation_weeks"].count >= 13
    assert db["escalations"].count == 9 + len(demo_history.CASES)  # the samples, then the past quarter's
    assert "BEGIN:VCALENDAR" in (tmp_path / "static" / "rotation-team.ics").read_text()


def test_report_files_a_slack_thread_in_one_step(tmp_path: Path) -> None:
    env = {"ROTADESK_DB": str(tmp_path / "t.db"), "ROTADESK_DATA_DIR": str(tmp_path / "data")}
    args = ("report", "--customer", "jane@customer.com", "--subject", "Export fails", "--by", "Maria Lopez",
            "--link", "https://ourco.slack.com/archives/C1/p17")
    first = cli(*args, env=env, stdin="Jane in #acme-shared: the export fails with error 500.\n")
    again = cli(*args, env=env, stdin="Jane in #acme-shared: the export fails with error 500.\n")
    assert (first.returncode, first.stdout) == (0, "filed as escalation #1\n")
    assert (again.returncode, again.stdout) == (0, "already filed as escalation #1\n")
    db = open_db(tmp_path / "t.db")
    [row] = db.query("select customer_address, body, note from escalations")
    assert row == {"customer_address": "jane@customer.com", "body": "Jane in #acme-shared: the export fails with "
                   "error 500.", "note": "Reported from Slack by Maria Lopez.\nhttps://ourco.slack.com/archives/C1/p17"}
    again_entry, first_entry = db.query(
        "select actor, actor_name, action, target, changes from audit_log order by id desc")
    assert (first_entry["actor"], first_entry["actor_name"], first_entry["action"], first_entry["target"]) == (
        "command line", "Maria Lopez", "report.file", "a report from slack")
    assert json.loads(first_entry["changes"]) == {"via": "command line", "outcome": "escalation", "escalation_id": 1}
    assert json.loads(again_entry["changes"])["outcome"] == "duplicate"


def test_a_bad_report_is_one_clear_line(tmp_path: Path) -> None:
    result = cli("report", "--customer", "jane", "--subject", "x", "--by", "M", "--body", "y",
                 env={"ROTADESK_DB": str(tmp_path / "t.db")})
    assert (result.returncode, result.stderr) == (1, "rotadesk: The customer's email 'jane' is not an email address.\n")


def test_a_one_message_import_loads_neither_pandas_nor_numpy(tmp_path: Path) -> None:
    # Issue 16: sqlite-utils pulled both in, most of a one-message import's second and 111 MiB.
    script = (
        "import sys, runpy\n"
        "sys.argv = ['ingest', 'import', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('ingest', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy'))\n"
        "print('LOADED', loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")}
    env.update(ROTADESK_DB=str(tmp_path / "t.db"), ROTADESK_DATA_DIR=str(tmp_path / "data"),
               ROTADESK_COMPANY_DOMAINS="flowboard.io")
    done = subprocess.run([sys.executable, "-c", script, str(SAMPLES / "01-gmail-forward-acme.eml")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 escalation" in done.stdout
    assert "LOADED []" in done.stdout
    with open_db(tmp_path / "t.db") as db:
        assert db["escalations"].count == 1
