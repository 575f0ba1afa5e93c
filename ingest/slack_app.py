"""Rotadesk's Slack app in HTTP mode (slack-bolt): the "File as customer bug" shortcut, its modal, /rotadesk,
and swap requests (``/rotadesk swap``, answered with the Accept and Decline buttons of the message it sends).

Every request is verified before a listener sees it: :class:`SignedOnce` (slack-bolt's own ``RequestVerification``
over ``slack_sdk.signature``, v0 signature, five-minute window) also refuses a signature it has accepted before.
Listeners acknowledge first; the work (Slack look-ups, the intake pipeline, the thread reply) runs after the
acknowledgement on bolt's listener executor, so Slack always has its answer within three seconds.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict, replace
from datetime import datetime, timezone
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.signature import Clock, SignatureVerifier
from sqlite_utils import Database

from core import slack as cs
from core.errors import AppError
from core.report import EMAIL
from core.settings import Settings
from core.store import intake as intake_store
from core.store import rotation as rotation_store
from core.store import slack as store

log = logging.getLogger("rotadesk.slack")


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class SignedOnce(RequestVerification):
    """Slack-bolt's signature check, plus: a signature accepted once is refused after (replays get 401)."""

    def __init__(self, signing_secret: str, db: Database, lock: threading.Lock, clock: Callable[[], float]) -> None:
        super().__init__(signing_secret)
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self._db, self._lock, self._clock = db, lock, clock

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        timestamp = req.headers.get("x-slack-request-timestamp", ["0"])[0]
        signature = req.headers.get("x-slack-signature", [""])[0]
        if not self.verifier.is_valid(req.raw_body, timestamp, signature):
            log.info("refused a Slack request with a bad signature or a stale timestamp")
            return self._build_error_response()
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        with self._lock:
            first = store.first_use_of_signature(self._db, signature, int(timestamp), now)
        if not first:
            log.warning("refused a replayed Slack request (timestamp %s)", timestamp)
            return self._build_error_response()
        return next()


class RetryAfter(RetryHandler):
    """On 429, wait what Slack's Retry-After says (through an injectable ``sleep``), then try again."""

    def __init__(self, max_retry_count: int = 3, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        value = header[0] if isinstance(header, list) else header
        self._sleep(float(value) if str(value).isdigit() else 1.0)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def web_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> WebClient:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(RetryAfter(sleep=sleep))
    return client


class SlackApp:
    """The bolt ``App`` with Rotadesk's listeners; ``dispatch`` is what the HTTP server (or a test) calls."""

    def __init__(self, db: Database, settings: Settings, client: WebClient, *, clock: Callable[[], float] = time.time,
                 executor: Executor | None = None) -> None:
        from ingest.pipeline import ingest_report

        self.db, self.settings, self.client, self.clock = db, settings, client, clock
        self.lock = threading.Lock()  # one SQLite handle, shared by the listener threads
        self._ingest_report = ingest_report
        self.app = App(signing_secret=settings.slack_signing_secret, client=client,
                       request_verification_enabled=False, token_verification_enabled=False,
                       before_authorize=SignedOnce(settings.slack_signing_secret, db, self.lock, clock),
                       listener_executor=executor, raise_error_for_unhandled_request=False)
        self.app.shortcut(cs.CALLBACK_ID)(ack=_ack, lazy=[self._open_from_message])
        self.app.options(cs.CUSTOMER_ACTION)(self._customer_options)
        self.app.view(cs.CALLBACK_ID)(self._submitted)
        self.app.command("/rotadesk")(self._command)
        for action_id in (cs.SWAP_ACCEPT, cs.SWAP_DECLINE):
            self.app.action(action_id)(ack=_ack, lazy=[self._swap_answered])

    def dispatch(self, body: str, headers: dict[str, str]) -> BoltResponse:
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    # -- the shortcut -----------------------------------------------------------------------------------------
    def _open_from_message(self, body: dict[str, Any], client: WebClient) -> None:
        message, channel = body.get("message") or {}, body.get("channel") or {}
        files = tuple({k: f.get(k) for k in ("id", "name", "mimetype", "size", "permalink")}
                      for f in message.get("files") or [])
        draft = cs.Draft(secrets.token_hex(8), message.get("text") or "", channel.get("id", ""),
                         channel.get("name", ""), message.get("ts", ""), message.get("thread_ts") or "",
                         files=files)
        self._open_modal(client, body["trigger_id"], draft, author_id=message.get("user") or "")

    def _open_modal(self, client: WebClient, trigger_id: str, draft: cs.Draft, *, author_id: str) -> None:
        """Spend the trigger at once (it lasts three seconds), then look the message up and fill the form in."""
        try:
            opened = client.views_open(trigger_id=trigger_id, view=cs.loading_modal())["view"]
        except SlackApiError as exc:
            log.warning("could not open the bug modal: %s", exc.response.get("error"))
            return
        author_name, author_email = self.person(client, author_id)
        channel_name = self._channel_name(client, draft.channel) or draft.channel_name
        permalink = ""
        if draft.message_ts:
            try:
                permalink = client.chat_getPermalink(channel=draft.channel, message_ts=draft.message_ts)["permalink"]
            except SlackApiError as exc:
                log.warning("no permalink for the message: %s", exc.response.get("error"))
        draft = replace(draft, author_name=author_name, author_email=author_email, channel_name=channel_name,
                        permalink=permalink)
        with self.lock:
            store.save_draft(self.db, asdict(draft), self.now())
            customers = _choices(self.db)
        suggested = cs.suggest_customer(author_email, channel_name, customers, self.settings.company_domains)
        external = bool(author_email) and not self.settings.is_company_address(author_email)
        view = cs.bug_modal(draft, suggested, customer_email=author_email if external else "",
                            customer_name=author_name if external else "")
        try:
            client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
        except SlackApiError as exc:  # hash_conflict: the person closed or changed the form meanwhile
            log.warning("could not fill the bug modal in: %s", exc.response.get("error"))

    def person(self, client: WebClient, user_id: str) -> tuple[str, str]:
        if not user_id:
            return "", ""
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return "", ""
        profile = user.get("profile") or {}
        return profile.get("real_name") or user.get("real_name") or user.get("name", ""), profile.get("email", "")

    def _channel_name(self, client: WebClient, channel: str) -> str:
        if not channel:
            return ""
        try:
            return client.conversations_info(channel=channel)["channel"].get("name", "")
        except SlackApiError as exc:
            log.warning("conversations.info failed: %s", exc.response.get("error"))
            return ""

    # -- the modal --------------------------------------------------------------------------------------------
    def _customer_options(self, ack: Callable[..., None], payload: dict[str, Any]) -> None:
        with self.lock:
            customers = _choices(self.db)
        ack(options=cs.customer_options(payload.get("value") or "", customers))

    def _submitted(self, ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any],
                   client: WebClient) -> None:
        with self.lock:
            row = store.draft(self.db, cs.draft_id_of(view))
        if row is None:
            ack(response_action="errors", errors={"body": "This form has expired; open it again from the message."})
            return
        draft = cs.Draft(**row)
        user = body.get("user") or {}
        report, errors = cs.report_from_submission(cs.submitted_values(view), draft,
                                                   reporter_name=user.get("name") or "someone on Slack")
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()  # the modal closes now; the look-up, filing and replying happen after Slack has its answer
        reporter_name, reporter_email = self.person(client, user.get("id", ""))
        if reporter_name:  # the reporter is not part of the report's identity, so a retry still files once
            report = replace(report, reported_by=reporter_name,
                             reporter_email=reporter_email if EMAIL.match(reporter_email) else "")
        try:
            with self.lock:
                outcome = self._ingest_report(self.db, self.settings, report, now=self.now())
        except AppError as exc:
            log.error("a report from Slack could not be filed: %s", exc)
            return
        self.reply_filed(client, draft, outcome.escalation_id, duplicate=outcome.status == "duplicate")

    def reply_filed(self, client: WebClient, draft: cs.Draft, escalation_id: int, *, duplicate: bool) -> None:
        """Say in the message's thread which escalation it became; once, however often Slack retries."""
        if not draft.channel:
            return
        now = self.now()
        with self.lock:
            if draft.reply_ts:
                store.remember_thread(self.db, escalation_id, draft.channel, draft.reply_ts, now)
            store.enqueue(self.db, f"filed:{escalation_id}", "thread", draft.channel,
                          cs.filed_text(escalation_id, local_only=self.settings.local_only), now,
                          thread_ts=draft.reply_ts or None)
        from ingest.slack_posts import send_pending

        send_pending(self.db, client, self.lock, now, key=f"filed:{escalation_id}")
        if not draft.reply_ts:  # filed with /rotadesk: the confirmation starts the thread the issue follows in
            with self.lock:
                sent = next((p for p in store.posts(self.db, "thread") if p["key"] == f"filed:{escalation_id}"), None)
                if sent and sent["ts"]:
                    store.remember_thread(self.db, escalation_id, draft.channel, sent["ts"], now)

    # -- /rotadesk --------------------------------------------------------------------------------------------
    def _command(self, ack: Callable[..., None], command: dict[str, Any], client: WebClient) -> None:
        verb, _, rest = (command.get("text") or "").strip().partition(" ")
        verb = verb.lower()
        if verb in ("who", "oncall"):
            ack(text=self.who())
        elif verb == "file" and rest.strip():
            ack()
            draft = cs.Draft(secrets.token_hex(8), rest.strip(), command.get("channel_id") or "",
                             command.get("channel_name") or "")
            self._open_modal(client, command["trigger_id"], draft, author_id=command.get("user_id") or "")
        elif verb == "file":
            ack(text="Say what the customer reported: `/rotadesk file <text>`.")
        elif verb == "swap":
            self._swap_command(ack, command, client, rest)
        else:
            ack(text=cs.HELP_TEXT)

    # -- swap requests (ingest/slack_swaps.py) ---------------------------------------------------------------
    def _swap_command(self, ack: Callable[..., None], command: dict[str, Any], client: WebClient, rest: str) -> None:
        from ingest import slack_swaps

        slack_swaps.ask(self, ack, command, client, rest)

    def _swap_answered(self, body: dict[str, Any], client: WebClient) -> None:
        from ingest import slack_swaps

        slack_swaps.answered(self, body, client)

    def who(self) -> str:
        from core.rotation import local_date

        with self.lock:
            weeks = rotation_store.effective_schedule(self.db)
            names = {e.email: e.name for e in rotation_store.list_engineers(self.db)}
        today = local_date(self.now(), self.settings.team_timezone)
        return cs.who_text(weeks, names, today, self.settings.week_start_index)


def _ack(ack: Callable[..., None]) -> None:
    ack()


def _choices(db: Database) -> list[cs.CustomerChoice]:
    return [cs.CustomerChoice(r["domain"], r["company"] or r["domain"], r["tier"]) for r in intake_store.customers(db)]
