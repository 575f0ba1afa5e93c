"""Linking steps that carry the customer's files (:mod:`core.files`) to Linear and HubSpot.

One step per file and service uploads it, and one step per service links what was uploaded, so a crash between
uploads redoes only the file in flight. Every step is safe to run again: a Linear asset is remembered by content
hash (an upload cut off before that leaves only an unlinked asset), the issue's files section is rewritten in
place from the journal, a HubSpot file sits at a path made of its content hash (found again by that path, never by
search), and the files note carries a marker it is found by. An escalation without kept files gets none of these.
"""

from __future__ import annotations

import html
from typing import Any

from core import files as fl
from core.context import human_size
from core.link_steps import Run, Step
from core.once import create_once
from core.store import get_state, set_state
from core.store import links as links_store

FILES_FOLDER = "/rotadesk/attachments"  # HubSpot file-manager folder of the customer's files
LINEAR_LINK, HUBSPOT_LINK = "linear_files", "hubspot_files"


def file_steps(run: Run) -> list[Step]:
    """The upload and link steps for the escalation's kept files (none when it has none)."""
    kept = fl.files_of(run.esc, run.settings.attachments_dir)
    if not kept:
        return []
    steps: list[Step] = [(f"linear_file:{f.key}", "linear", _linear_upload(f)) for f in kept]
    steps.append((LINEAR_LINK, "linear", _linear_link(kept)))
    steps += [(f"hubspot_file:{f.key}", "hubspot", _hubspot_upload(f)) for f in kept]
    steps.append((HUBSPOT_LINK, "hubspot", _hubspot_link(kept)))
    return steps


def _linear_upload(f: fl.CustomerFile):
    def step(run: Run, attempt: int) -> dict[str, Any]:
        """Upload once per content: the same bytes, from this mail or another, reuse the asset they got."""
        key = f"linear.asset.{f.sha256}"
        asset = get_state(run.db, key)
        if asset is None:
            asset = run.linear.upload_file(f.safe_name(), f.upload_type(), f.read())
            with links_store.write(run.db):
                set_state(run.db, key, asset)
        return {"asset_url": asset, "sha256": f.sha256}
    return step


def _linear_link(kept: list[fl.CustomerFile]):
    def step(run: Run, attempt: int) -> dict[str, Any]:
        """Write the files section of the issue's description (only when it differs: a repeat writes nothing)."""
        issue_id = run.detail("linear_issue")["id"]
        links = [(f, run.detail(f"linear_file:{f.key}").get("asset_url") or "") for f in kept]
        issue = run.linear.get_issue(issue_id)
        description = fl.with_files(issue.description or "", run.ref, links)
        if description != (issue.description or ""):
            run.linear.update_issue(issue_id, description=description)
        return {"files": len(links)}
    return step


def hubspot_path(f: fl.CustomerFile) -> tuple[str, str]:
    """(folder, name) of a file in HubSpot: by content hash, so the same bytes are one file however often sent."""
    return f"{FILES_FOLDER}/{f.sha256[:2]}", f"{f.key}-{f.safe_name()}"


def _hubspot_upload(f: fl.CustomerFile):
    def step(run: Run, attempt: int) -> dict[str, Any]:
        folder, name = hubspot_path(f)
        uploaded = create_once(lambda: run.hubspot.upload_file(folder, name, f.read(), f.upload_type()),
                               lambda: run.hubspot.file_at(f"{folder}/{name}"), look_first=attempt > 1)
        return {"file_id": uploaded.id, "sha256": f.sha256}
    return step


def _hubspot_link(kept: list[fl.CustomerFile]):
    def step(run: Run, attempt: int) -> dict[str, Any]:
        """One note on the ticket with every file attached (found again by its marker)."""
        hub, ticket_id = run.hubspot, run.detail("hubspot_ticket")["id"]
        marker = f"Rotadesk files ref: {run.ref}"  # never a match for the link note's own marker
        ids = [run.detail(f"hubspot_file:{f.key}")["file_id"] for f in kept]
        names = "".join(f"<li>{html.escape(f.name)} ({human_size(f.size)})</li>" for f in kept)
        body = f"<p>The customer's files, as received by email:</p><ul>{names}</ul><p>{html.escape(marker)}</p>"
        note = create_once(lambda: hub.create_note(ticket_id, body, timestamp=run.now, attachment_ids=ids),
                           lambda: hub.find_note(ticket_id, marker), look_first=True)  # one read, rarely run
        return {"id": note.id, "files": ids}
    return step
