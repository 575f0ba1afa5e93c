"""The whole loop as deployed: mail in a real Dovecot, `python -m ingest run --once` against HubSpot and Linear
doubles served over HTTP, then the issue moves to Done and the next pass stages the closing reply."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.store import open_db
from tests.doubles.hubspot import TOKEN, HubSpotDouble
from tests.doubles.linear import API_KEY, LinearDouble

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def run_once(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")}
    result = subprocess.run([sys.executable, "-m", "ingest", *args], cwd=ROOT, env={**base, **env},
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def test_forwarded_mail_becomes_a_linked_ticket_and_issue_and_done_stages_a_reply(dovecot, mail_user,
                                                                                 tmp_path) -> None:
    hub, lin = HubSpotDouble(search_delay=0.0), LinearDouble()
    hub.add_company("acme-corp.com", "Acme Corp", tier="enterprise", revenue=4_200_000)
    hub_url, stop_hub = hub.serve()
    lin_url, stop_lin = lin.serve()
    for name in ("01-gmail-forward-acme.eml", "06-followup-acme.eml", "08-direct-customer.eml"):
        dovecot.append(mail_user, (SAMPLES / name).read_bytes())
    env = {
        "ROTADESK_DB": str(tmp_path / "t.db"), "ROTADESK_DATA_DIR": str(tmp_path / "data"),
        "ROTADESK_COMPANY_DOMAINS": "flowboard.io",
        "ROTADESK_IMAP_HOST": dovecot.host, "ROTADESK_IMAP_PORT": str(dovecot.port),
        "ROTADESK_IMAP_USER": mail_user.name, "ROTADESK_IMAP_PASSWORD": mail_user.password,
        "ROTADESK_IMAP_SSL": "false",
        "ROTADESK_HUBSPOT_TOKEN": TOKEN, "ROTADESK_HUBSPOT_BASE_URL": hub_url,
        "ROTADESK_LINEAR_API_KEY": API_KEY, "ROTADESK_LINEAR_API_URL": lin_url, "ROTADESK_LINEAR_TEAM": "ENG",
    }
    try:
        run_once(env, "setup-hubspot")
        run_once(env, "run", "--once")
        db = open_db(tmp_path / "t.db")
        [escalation] = list(db.query("select * from escalations"))
        assert escalation["customer_address"] == "jane.smith@acme-corp.com"
        link = db["links"].get(escalation["id"])
        assert link["linear_identifier"] and link["hubspot_ticket_id"]
        [issue] = lin.issues.values()
        assert "**Company:** Acme Corp" in issue["description"] and "**Tier:** Enterprise" in issue["description"]
        assert "month-end close on Friday" in issue["description"]
        [ticket] = hub.records["tickets"].values()
        assert ticket["properties"]["linear_issue_identifier"] == link["linear_identifier"]
        assert db["quarantine"].count == 1  # the customer's direct mail waits for review

        lin.set_state(issue["id"], "Done")
        run_once(env, "run", "--once")
        run_once(env, "run", "--once")  # a second pass stages nothing more
        [reply] = list(db.query("select * from staged_replies"))
        assert reply["outcome"] == "fixed" and "Jane" in reply["body"]
        tasks = [t for t in hub.records["tasks"].values() if t["properties"]["hs_task_subject"].startswith(
            "Send closing reply")]
        assert len(tasks) == 1 and tasks[0]["properties"]["hs_task_type"] == "EMAIL"
    finally:
        stop_hub()
        stop_lin()
