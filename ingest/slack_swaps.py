"""Swap requests from Slack: ``/rotadesk swap <week> <email or name> [reason]`` asks, and the asked engineer's
Accept or Decline button answers, through the same ``core.store.handovers`` functions as the Calendar page.

The command is acknowledged before any Slack call; the request, the look-ups and the message follow. The message
to the asked engineer goes through the outbox (one post per request, however often Slack retries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core import slack as cs
from core.access import Person
from core.errors import AppError
from core.rotation import local_date
from core.store import audit, handovers
from core.store import rotation as rotation_store
from core.store import slack as store

if TYPE_CHECKING:
    from ingest.slack_app import SlackApp

log = logging.getLogger("rotadesk.slack")


def ask(app: SlackApp, ack: Callable[..., None], command: dict[str, Any], client: WebClient, rest: str) -> None:
    """Ask at once what needs no Slack call (the week, the person); the request and the message follow."""
    with app.lock:
        engineers = rotation_store.list_engineers(app.db)
    try:
        wanted = cs.parse_swap(rest, engineers, local_date(app.now(), app.settings.team_timezone),
                            app.settings.week_start_index)
    except AppError as exc:
        ack(text=str(exc))
        return
    names = {e.email: e.name for e in engineers}
    ack(text=f"Asking {names.get(wanted.to_email, wanted.to_email)} to take the week of {wanted.week_start}; "
             "you will hear here when they answer.")
    asker_id = command.get("user_id") or ""
    asker_name, asker_email = app.person(client, asker_id)
    asker = asker_name or command.get("user_name") or "someone on Slack"
    now = app.now()
    try:
        reason = wanted.reason or f"asked on Slack by {asker}"
        with app.lock, audit.performed(app.db, slack_person(asker_email, asker, asker_id), "rotation.ask_swap",
                                       f"week {wanted.week_start}", now=now,
                                       changes={"asked": wanted.to_email, "requested_by": asker_email or asker,
                                                "reason": reason, "via": "slack"}):
            request = handovers.ask_swap(app.db, wanted.week_start, wanted.to_email,
                                         requested_by=asker_email or asker, reason=reason, now=now)
    except AppError as exc:
        tell(client, asker_id, f"The swap was not asked: {exc}")
        return
    try:
        asked_id = client.users_lookupByEmail(email=wanted.to_email)["user"]["id"]
    except SlackApiError as exc:
        log.warning("no Slack user for a swap request: %s", exc.response.get("error"))
        tell(client, asker_id, f"{names.get(wanted.to_email, wanted.to_email)} has no Slack account under "
                                     f"{wanted.to_email}; they can answer on the Calendar page.")
        return
    holder = names.get(request.from_email or "", request.from_email or "nobody")
    text, blocks = cs.swap_ask_message(request.id, request.week_start, asker, holder, wanted.reason, asker_id)
    with app.lock:
        store.enqueue(app.db, f"swap-ask:{request.id}", "swap", asked_id, text, now, blocks=blocks)
    from ingest.slack_posts import send_pending

    send_pending(app.db, client, app.lock, now, key=f"swap-ask:{request.id}")

def answered(app: SlackApp, body: dict[str, Any], client: WebClient) -> None:
    """A button of a swap request: the asked engineer accepts or declines, as on the Calendar page."""
    action = (body.get("actions") or [{}])[0]
    request_id, asker_id = cs.read_swap_value(action.get("value") or "")
    user_id = (body.get("user") or {}).get("id", "")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    with app.lock:
        request = next((r for r in handovers.swap_requests(app.db, status=None) if r.id == request_id), None)
        names = {e.email: e.name for e in rotation_store.list_engineers(app.db)}
    if request is None:
        return
    name, email = app.person(client, user_id)
    if email.lower() != request.to_email:
        tell(client, user_id, f"Only {names.get(request.to_email, request.to_email)} can answer this "
                                    "swap request.")
        return
    accept = action.get("action_id") == cs.SWAP_ACCEPT
    person = names.get(request.to_email, request.to_email)
    try:
        with app.lock, audit.performed(app.db, slack_person(email, name, user_id), "rotation.answer_swap",
                                       f"week {request.week_start}", now=app.now(),
                                       changes={"engineer": [request.from_email, request.to_email],
                                                "answer": "accepted" if accept else "declined", "via": "slack"}):
            handovers.answer_swap(app.db, request.id, accept=accept, decided_by=request.to_email,
                                  now=app.now())
        text = cs.swap_answer_text(request.week_start, person, accept, to_them=True)
        told = cs.swap_answer_text(request.week_start, person, accept)
    except AppError as exc:
        text, told = str(exc), ""
    try:
        client.chat_update(channel=channel, ts=container.get("message_ts", ""), text=text,
                           blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": cs.mrkdwn_escape(text)}}])
    except SlackApiError as exc:
        log.warning("could not update the swap request message: %s", exc.response.get("error"))
    if told and asker_id:
        with app.lock:
            store.enqueue(app.db, f"swap-answer:{request.id}", "swap", asker_id, told, app.now())
        from ingest.slack_posts import send_pending

        send_pending(app.db, client, app.lock, app.now(), key=f"swap-answer:{request.id}")

def slack_person(email: str, name: str, user_id: str) -> Person:
    """Whoever acted on Slack, as the audit trail names them: an engineer on the team acting for themselves."""
    return Person(email.lower() or f"slack:{user_id}", name or email or user_id, "member")


def tell(client: WebClient, user_id: str, text: str) -> None:
    """A direct message that may be lost without harm (the dashboard shows the same)."""
    if not user_id:
        return
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", user_id, exc.response.get("error"))
