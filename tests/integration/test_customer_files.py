"""The customer's files travel to Linear (fileUpload, a PUT to the signed URL, linked in the description) and to
HubSpot (Files API, attached to a note on the ticket), each once, even across a crash or a lost answer (issue 14)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from core import context as cx
from core import linking
from core.store import intake as intake_store
from core.store import links as store
from tests.integration.test_linking import NOW, World, make_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n" + b"report " * 40
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def with_files(world: World, files: list[tuple[str, str, bytes]], n: int = 1) -> int:
    """An escalation whose mail carried ``files`` (name, declared type, bytes), stored as intake stores them."""
    eid = world.escalation(n)
    rows = []
    for name, kind, data in files:
        sha, _ = intake_store.store_blob(world.settings.attachments_dir, data)
        rows.append({"filename": name, "content_type": kind, "size": len(data), "sha256": sha, "stored": True})
    world.db["escalations"].update(eid, {"attachments": json.dumps(rows)})
    return eid


def ticket_notes(world: World, ticket_id: str) -> list[dict]:
    return [world.hub.records["notes"][i]["properties"] for i in world.hub.linked("tickets", ticket_id, "notes")]


def test_files_are_uploaded_to_linear_and_linked_in_the_description(world: World) -> None:
    eid = with_files(world, [("shot.png", "image/png", PNG), ("report.pdf", "application/pdf", PDF),
                             ("logo.svg", "image/svg+xml", SVG)])
    assert world.link(eid).status == "linked"
    by_name = {a["filename"]: a for a in world.lin.assets.values()}
    assert {n: a["data"] for n, a in by_name.items()} == {"shot.png": PNG, "report.pdf": PDF, "logo.svg": SVG}
    # The type Linear is told comes from the bytes: an SVG claiming to be an image goes as opaque bytes.
    assert {n: a["contentType"] for n, a in by_name.items()} == {
        "shot.png": "image/png", "report.pdf": "application/pdf", "logo.svg": "application/octet-stream"}
    puts = [r for r in world.lin.requests if r["operation"] == "PUT upload"]
    assert len(puts) == 3 and all(r["authorization"] == "" for r in puts)  # the API key stays off signed URLs
    description = next(iter(world.lin.issues.values()))["description"]
    ref = cx.ref_for("<m1@acme.com>")
    assert f"### Customer's files (ref {ref})" in description
    url = {a["filename"]: u for u, a in world.lin.assets.items()}
    assert f"- ![shot\\.png]({url['shot.png']})" in description
    assert f"- [report\\.pdf]({url['report.pdf']})" in description
    assert f"- [logo\\.svg]({url['logo.svg']})" in description
    assert "```text\nThe export button fails.\n```" in description  # the customer's message is still there


def test_files_are_attached_to_one_note_on_the_ticket(world: World) -> None:
    eid = with_files(world, [("shot.png", "image/png", PNG), ("report.pdf", "application/pdf", PDF)])
    world.link(eid)
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    (files_note,) = [n for n in ticket_notes(world, ticket_id) if n.get("hs_attachment_ids")]
    ids = files_note["hs_attachment_ids"].split(";")
    manager = world.hub.file_manager
    assert sorted(manager.content[i] for i in ids) == sorted([PNG, PDF])
    assert all(manager.files[i]["access"] == "PRIVATE" for i in ids)
    assert all(manager.files[i]["path"].startswith("/rotadesk/attachments/") for i in ids)
    assert "shot.png" in files_note["hs_note_body"] and "report.pdf" in files_note["hs_note_body"]


def test_a_second_run_of_every_file_step_changes_nothing(world: World) -> None:
    eid = with_files(world, [("shot.png", "image/png", PNG)])
    world.link(eid)
    issue = next(iter(world.lin.issues.values()))
    before = issue["description"]
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    for step in ("linear_files", "hubspot_files", *(s for s in store.journal(world.db, eid) if ":" in s), "done"):
        store.reset_step(world.db, eid, step)
    assert world.link(eid).status == "linked"
    assert issue["description"] == before  # the section rewritten in place: the same text
    assert len(world.hub.file_manager.files) == 1  # at its content-hash path, overwritten, not copied
    assert len([n for n in ticket_notes(world, ticket_id) if n.get("hs_attachment_ids")]) == 1


@pytest.mark.parametrize("boundary", ["linear_file", "linear_files", "hubspot_file", "hubspot_files"])
def test_a_crash_inside_any_file_step_resumes_to_one_of_each(world: World, boundary: str) -> None:
    eid = with_files(world, [("shot.png", "image/png", PNG), ("report.pdf", "application/pdf", PDF)])

    def crash(step: str, phase: str) -> None:
        if step.split(":")[0] == boundary and phase == "after":
            raise KeyboardInterrupt  # the process dies once the step's request landed, before it is recorded

    with pytest.raises(KeyboardInterrupt):
        linking.link_escalation(world.db, world.settings, world.hubspot, world.linear, eid, now=NOW,
                                checkpoint=crash)
    assert world.link(eid).status == "linked"
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    description = next(iter(world.lin.issues.values()))["description"]
    assert description.count("### Customer's files") == 1
    linked = set(re.findall(r"\]\((https://[^)]+)\)", description.split("### Customer's files")[1]))
    assert {world.lin.assets[u]["data"] for u in linked} == {PNG, PDF}  # every link points at uploaded bytes
    assert len(world.hub.file_manager.files) == 2
    assert len([n for n in ticket_notes(world, ticket_id) if n.get("hs_attachment_ids")]) == 1


def test_a_lost_hubspot_upload_answer_is_found_at_its_path(world: World) -> None:
    eid = with_files(world, [("report.pdf", "application/pdf", PDF)])
    lost = []

    def route(request: httpx.Request) -> httpx.Response:
        response = world.hub.handler(request)
        if request.url.path.startswith("/files/") and request.method == "POST" and not lost:
            lost.append(1)
            raise httpx.ReadTimeout("answer lost", request=request)  # carried out, the answer never arrives
        return response

    world.hub_route = route
    assert world.link(eid).status == "linked"
    assert lost and len(world.hub.file_manager.files) == 1


def test_a_refused_or_failed_put_is_tried_again_with_the_bytes_arriving_once(world: World) -> None:
    eid = with_files(world, [("shot.png", "image/png", PNG)])
    real = world.lin.handler
    failures = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and not failures:
            failures.append(1)
            return httpx.Response(503, text="busy")
        return real(request)

    world.lin_route = route
    assert world.link(eid).status == "linked"
    assert failures and [a["data"] for a in world.lin.assets.values()] == [PNG]


def test_the_double_refuses_a_put_that_breaks_the_signature(world: World) -> None:
    url = world.linear._execute(
        "mutation FileUpload($contentType: String!, $filename: String!, $size: Int!) { fileUpload(contentType: "
        "$contentType, filename: $filename, size: $size) { success uploadFile { uploadUrl headers { key value } } } }",
        {"contentType": "image/png", "filename": "a.png", "size": len(PNG)})["fileUpload"]["uploadFile"]["uploadUrl"]
    send = httpx.Client(transport=httpx.MockTransport(world.lin.handler))
    assert send.put(url, content=PNG, headers={"Content-Type": "image/png"}).status_code == 403  # header missing
    ok = {"Content-Type": "image/png", "x-goog-content-length-range": f"{len(PNG)},{len(PNG)}"}
    assert send.put(url, content=PNG + b"x", headers=ok).status_code == 400
    assert send.put(url + "0", content=PNG, headers=ok).status_code == 403
    assert send.put(url, content=PNG, headers=ok).status_code == 200 and world.lin.assets


def test_an_escalation_whose_files_were_not_kept_gets_no_file_steps(world: World) -> None:
    eid = world.escalation()  # its trace.log is recorded by name only: no bytes under the data dir
    world.link(eid)
    assert not [s for s in store.journal(world.db, eid) if "file" in s]
    assert "FileUpload" not in world.lin.operations() and world.hub.file_manager.files == {}


def test_an_upload_goes_over_real_http_to_the_served_double() -> None:
    from core.linear import LinearClient
    from tests.doubles.linear import API_KEY, LinearDouble

    lin = LinearDouble()
    url, stop = lin.serve()
    try:
        with LinearClient(API_KEY, url=url) as client:
            asset = client.upload_file("shot.png", "image/png", PNG)
        assert lin.assets[asset]["data"] == PNG and lin.assets[asset]["contentType"] == "image/png"
    finally:
        stop()
