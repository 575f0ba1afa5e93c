"""Mutated messages through the whole pipeline: each ends as a record, never as an exception."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.store import open_db
from ingest.pipeline import ingest_raw

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [p.read_bytes() for p in sorted((ROOT / "tests" / "fixtures" / "emails").glob("*.eml"))]
SAMPLES += [p.read_bytes() for p in sorted((ROOT / "data" / "samples").glob("*.eml"))]
NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)
ENDINGS = {"escalation", "followup", "ignored", "quarantined", "duplicate"}


@st.composite
def mutated(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "cut", "dup", "insert"]))
        pos = draw(st.integers(0, max(0, len(raw) - 1)))
        if op == "flip" and raw:
            raw[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del raw[pos:pos + draw(st.integers(1, 200))]
        elif op == "dup":
            raw[pos:pos] = raw[pos:pos + draw(st.integers(1, 200))]
        else:
            raw[pos:pos] = draw(st.sampled_from([b"\r\n\r\n", b"--", b"=?utf-8?b?", b"Content-Type: multipart/mixed;",
                                                 b"\x00", b"\xff\xfe", b"charset=utf-7", b"\nFrom: x\n"]))
    return bytes(raw)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=mutated())
def test_every_mutated_message_ends_as_a_record(tmp_path_factory, raw: bytes) -> None:
    base = tmp_path_factory.mktemp("hostile")
    from core.settings import Settings

    config = Settings(db=base / "t.db", data_dir=base / "data", company_domains=("ourco.com", "flowboard.io"))
    db = open_db(config.db)
    outcome = ingest_raw(db, config, raw, source="fuzz", now=NOW)
    assert outcome.status in ENDINGS, outcome
    row = db["inbound_messages"].get(outcome.message_id)
    assert row["status"] in ENDINGS - {"duplicate"}
    assert Path(row["raw_path"]).read_bytes() == raw
    db.close()


def test_one_bad_message_never_blocks_the_next(db, settings) -> None:
    config = replace(settings, company_domains=("flowboard.io",))
    garbage = ingest_raw(db, config, b"\x00\xff" * 50, source="imap", now=NOW)
    good = ingest_raw(db, config, (ROOT / "data/samples/01-gmail-forward-acme.eml").read_bytes(), source="imap",
                      now=NOW)
    assert garbage.status == "quarantined"
    assert good.status == "escalation"
