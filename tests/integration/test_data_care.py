"""Data care: retention removes old bytes but keeps records; one customer's data is exported or erased whole."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from core.settings import Settings
from core.store import get_state, ops
from ingest import care
from ingest.pipeline import accept_quarantined, ingest_raw
from ingest.worker import retention_cycle
from tests.integration.test_cli import ROOT, cli

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
JANE = "jane@acme.com"
SHARED = b"shared trace: both customers sent this log\n"
JANE_ONLY = b"jane's screenshot bytes\n"


def message(message_id: str, sender: str, subject: str, body: str, *, cc: str | None = None,
            reply_to: str | None = None, headers: dict[str, str] | None = None,
            attachments: tuple[bytes, ...] = ()) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = sender, "bugs@ourco.com", subject, message_id
    m["Date"] = format_datetime(NOW)
    if cc:
        m["Cc"] = cc
    if reply_to:
        m["In-Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        m[name] = value
    m.set_content(body)
    for n, data in enumerate(attachments):
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=f"file{n}.bin")
    return m.as_bytes()


def forward(n: int, customer: str, *, cc: str | None = None, attachments: tuple[bytes, ...] = ()) -> bytes:
    body = (f"Please look at this one.\n\n---------- Forwarded message ---------\nFrom: Customer <{customer}>\n"
            f"Date: Mon, 2 Nov 2026 at 09:00\nSubject: Export {n} fails\nTo: <support@ourco.com>\n\n"
            f"Export {n} fails every time.\n")
    return message(f"<fwd{n}@ourco.com>", "Sam Agent <sam@ourco.com>", f"Fwd: Export {n} fails", body, cc=cc,
                   attachments=attachments)


@pytest.fixture
def world(db, settings: Settings):
    """Jane (four messages of hers, one escalation with everything hanging off it) and Bob (one escalation)."""
    def take(raw: bytes, at: datetime = NOW):
        return ingest_raw(db, settings, raw, source="test", now=at)

    jane = take(forward(1, JANE, attachments=(SHARED, JANE_ONLY)))
    assert jane.status == "escalation"
    # Jane's reply comes from outside our domains, so it waits for review; a reviewer makes it a follow-up.
    reply = take(message("<re1@acme.com>", f"Jane <{JANE}>", "Re: Export 1 fails", "Still broken.",
                         reply_to="<fwd1@ourco.com>"))
    assert reply.status == "quarantined"
    assert accept_quarantined(db, settings, reply.message_id, by="sam@ourco.com", now=NOW) == jane.escalation_id
    assert db["followups"].count_where("escalation_id = ?", [jane.escalation_id]) == 1
    outcomes = {
        "quarantined": take(message("<direct@acme.com>", f"Jane <{JANE}>", "Another bug", "Login fails too.")),
        "ignored": take(message("<ooo@acme.com>", f"Jane <{JANE}>", "Out of office", "Back Monday.",
                                headers={"Auto-Submitted": "auto-replied"})),
    }
    assert {k: o.status for k, o in outcomes.items()} == {k: k for k in outcomes}
    bob = take(forward(2, "bob@globex.com", cc=f"Jane <{JANE}>", attachments=(SHARED,)))
    assert bob.status == "escalation"
    eid = jane.escalation_id
    db["links"].insert({"escalation_id": eid, "hubspot_ticket_id": "9001", "hubspot_contact_id": "501",
                        "linear_issue_id": "lin-1", "linear_identifier": "ENG-7"})
    db["journal"].insert({"escalation_id": eid, "step": "done", "status": "done", "at": NOW.isoformat()})
    db["staged_replies"].insert({"key": f"lin-1:{eid}", "escalation_id": eid, "body": "Fixed, Jane.",
                                 "status": "staged"})
    ops.add_topic(db, {"day": "2026-11-02", "escalation_id": eid, "topic": "Jane's export", "status": "open"})
    db["hubspot_contacts"].insert({"email": JANE, "contact_id": "501", "checked_at": NOW.isoformat()})
    ops.save_handoff(db, {"week_start": "2026-10-26", "fixed": "Export for Jane (JANE@acme.com)",
                          "notes": "Bob is fine"})
    return db, settings, eid, bob.escalation_id


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_erasure_removes_everything_held_about_the_address_and_nothing_else(world) -> None:
    db, settings, jane_id, bob_id = world
    bob_raw = next(db.query("select raw_path from inbound_messages where escalation_id = ?", [bob_id]))["raw_path"]
    assert len(files(settings.raw_dir)) == 5 and len(files(settings.attachments_dir)) == 2

    data = care.erase_customer(db, settings, JANE, NOW)

    # Two quarantine rows: the reply a reviewer accepted and the direct message still waiting.
    assert data.counts() == {"escalations": 1, "followups": 1, "inbound_messages": 4, "quarantine": 2,
                             "thread_keys": 2, "links": 1, "journal": 1, "office_hours": 1, "staged_replies": 1,
                             "hubspot_contacts": 1, "attachments": 1}
    for table, where in [("escalations", "lower(customer_address) = ?"), ("followups", "sender like ?"),
                         ("quarantine", "sender like ?"), ("hubspot_contacts", "email = ?")]:
        assert not list(db.query(f"select * from {table} where {where}", [JANE])), table
    assert [r["id"] for r in db.query("select id from escalations")] == [bob_id]  # Bob's (Jane only in Cc) stays
    for table in ("links", "journal", "staged_replies", "office_hours", "thread_keys"):
        assert not list(db.query(f"select * from {table} where escalation_id = ?", [jane_id])), table
    assert files(settings.raw_dir) == {Path(bob_raw).name}
    assert files(settings.attachments_dir) == {care.attachment_path(settings, r["sha256"]).name
                                               for r in db.query("select sha256 from attachments")}
    assert len(files(settings.attachments_dir)) == 1  # the log Bob sent too is his as well, so it stays
    assert ops.handoff(db, "2026-10-26")["fixed"] == "Export for Jane ([erased])"
    assert json.loads(next(db.query("select counts from erasures"))["counts"])["escalations"] == 1
    assert care.external_records(data) == ["HubSpot contact 501", "HubSpot ticket 9001", "Linear issue ENG-7"]
    # Deleted text does not linger in the file's free pages or the write-ahead log.
    stored = settings.db.read_bytes() + (Path(f"{settings.db}-wal").read_bytes()
                                         if Path(f"{settings.db}-wal").exists() else b"")
    assert JANE.encode() not in stored.lower() and b"Still broken" not in stored
    assert b"bob@globex.com" in stored
    assert care.gather(db, JANE).empty  # a second run finds nothing


def test_export_holds_every_row_and_file_of_the_address(world, tmp_path: Path) -> None:
    db, settings, jane_id, _ = world
    target = tmp_path / "out" / "jane.zip"
    data = care.export_customer(db, settings, JANE, target)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        document = json.loads(archive.read("data.json"))
        raws = [n for n in names if n.startswith("raw/")]
        assert all(archive.read(n).startswith(b"From:") or b"Message-ID" in archive.read(n) for n in raws)
        assert sorted(archive.read(n) for n in names if n.startswith("attachments/")) == sorted([SHARED, JANE_ONLY])
    assert len(raws) == 4
    assert document["address"] == JANE and [e["id"] for e in document["rows"]["escalations"]] == [jane_id]
    assert {k: len(v) for k, v in document["rows"].items() if v} == data.counts()
    assert document["handoffs_mentioning"] == ["2026-10-26"]
    assert "not touched" in document["not_included"]
    assert db["escalations"].count == 2  # exporting changes nothing


def test_erase_customer_command_lists_first_then_deletes_with_yes(world, tmp_path: Path) -> None:
    db, settings, _, _ = world
    env = {"ROTADESK_DB": str(settings.db), "ROTADESK_DATA_DIR": str(settings.data_dir),
           "ROTADESK_COMPANY_DOMAINS": "ourco.com", "PYTHONPATH": str(ROOT)}
    dry = cli("erase-customer", JANE, env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would erase (run again with --yes to delete): 1 attachments, 1 escalations" in dry.stdout
    assert db["escalations"].count == 2
    done = cli("erase-customer", JANE, "--yes", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("erased: ") and "redacted in the handoffs of 2026-10-26" in done.stdout
    assert "left alone in HubSpot and Linear: HubSpot contact 501, HubSpot ticket 9001, Linear issue ENG-7" \
        in done.stdout and "erase them in HubSpot and Linear" in done.stdout
    assert db["escalations"].count == 1
    again = cli("erase-customer", JANE, "--yes", env=env, cwd=tmp_path)
    assert again.stdout.strip() == f"nothing is held about {JANE}"


# -- retention -------------------------------------------------------------------------------------------------
def test_retention_removes_old_bytes_and_keeps_the_records(world) -> None:
    db, settings, jane_id, bob_id = world
    settings = replace(settings, retention_days=30)
    db["escalations"].update(jane_id, {"status": "done", "closed_at": NOW.isoformat()})  # Bob's is still open
    recent = ingest_raw(db, settings, forward(3, "carol@initech.com", attachments=(JANE_ONLY,)), source="test",
                        now=NOW + timedelta(days=35))
    escalations_before = list(db.query("select * from escalations order by id"))
    inbound_before = db["inbound_messages"].count

    result = care.apply_retention(db, settings, NOW + timedelta(days=40))

    # Jane's closed escalation, her follow-up and the auto-reply lose their raw files; her pending quarantined
    # message (still to review), Bob's open escalation and anything newer than 30 days keep theirs.
    assert (result.raw_files, result.attachments) == (3, 0)
    kept = {r["message_id"] for r in db.query("select message_id from inbound_messages where raw_purged_at is null")}
    assert kept == {"direct@acme.com", "fwd2@ourco.com", recent.message_id}
    for row in db.query("select raw_path, raw_purged_at from inbound_messages"):
        assert Path(row["raw_path"]).exists() == (row["raw_purged_at"] is None)
    # The shared log is still needed by Bob's open escalation, Jane's screenshot by Carol's new one.
    assert len(files(settings.attachments_dir)) == 2
    assert db["inbound_messages"].count == inbound_before
    # Escalation records (their text and attachment names) and links stay as they were.
    assert list(db.query("select * from escalations order by id")) == escalations_before
    assert db["links"].count == 1

    db["escalations"].update(bob_id, {"status": "done"})
    db["escalations"].update(recent.escalation_id, {"status": "done"})
    later = care.apply_retention(db, settings, NOW + timedelta(days=70))
    assert (later.raw_files, later.attachments) == (2, 2)  # Bob's forward and Carol's, then both attachments
    assert files(settings.attachments_dir) == set()
    assert db["attachments"].count == 2 and all(r["purged_at"] for r in db.query("select * from attachments"))
    again = care.apply_retention(db, settings, NOW + timedelta(days=70))
    assert (again.raw_files, again.attachments) == (0, 0)
    # A message received again after its raw file went is still recognised: nothing new is filed.
    assert ingest_raw(db, settings, forward(1, JANE), source="test", now=NOW + timedelta(days=71)).status == "duplicate"


def test_retention_is_off_by_default_and_the_worker_applies_it_once_a_day(world) -> None:
    db, settings, jane_id, _ = world
    assert care.apply_retention(db, settings, NOW + timedelta(days=999)) is None
    retention_cycle(db, settings, NOW + timedelta(days=999))
    assert len(files(settings.raw_dir)) == 5 and get_state(db, care.RETENTION_STATE) is None

    settings = replace(settings, retention_days=30)
    db["escalations"].update(jane_id, {"status": "done"})
    day = NOW + timedelta(days=40)
    retention_cycle(db, settings, day)
    assert get_state(db, care.RETENTION_STATE) == day.isoformat(timespec="seconds")
    assert len(files(settings.raw_dir)) == 2
    ingest_raw(db, settings, message("<late@acme.com>", "Sam <sam@ourco.com>", "Re: Export 1 fails", "note",
                                     reply_to="<fwd1@ourco.com>"), source="test", now=NOW)
    retention_cycle(db, settings, day + timedelta(hours=23))  # not due yet: the new old message stays
    assert len(files(settings.raw_dir)) == 3
    retention_cycle(db, settings, day + timedelta(hours=24))
    assert len(files(settings.raw_dir)) == 2
