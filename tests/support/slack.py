"""A Slack app wired to the Slack double: signed requests in, the double's state out."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from core.settings import Settings
from ingest.slack_app import RetryAfter, SlackApp
from tests.doubles.slack import BOT_TOKEN, TEAM_ID, SlackDouble

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Clock:
    """The one clock the app, the double and the signer share."""

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor; ``settle()`` waits for the work done after each acknowledgement."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.futures: list[Future] = []
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self.futures.append(future)
        return future

    def settle(self, timeout: float = 10.0) -> None:
        while True:
            with self._lock:
                pending = [f for f in self.futures if not f.done()]
            if not pending:
                return
            for f in pending:
                f.result(timeout=timeout)


@dataclass
class SlackWorld:
    double: SlackDouble
    app: SlackApp
    client: WebClient
    clock: Clock
    executor: TrackingExecutor
    stop: object
    sleeps: list[float] = field(default_factory=list)

    def sign(self, body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET,
             retry: int | None = None) -> dict[str, str]:
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        headers = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts,
                   "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}
        if retry is not None:
            headers.update({"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"})
        return headers

    def send(self, body: str, **sign_kwargs) -> object:
        return self.app.dispatch(body, self.sign(body, **sign_kwargs))

    def interaction(self, payload: dict, **sign_kwargs) -> object:
        return self.send(urlencode({"payload": json.dumps(payload)}), **sign_kwargs)

    def shortcut_payload(self, channel: str, message: dict, user: str = "U0SAM") -> dict:
        return {"type": "message_action", "callback_id": "file_customer_bug", "trigger_id": self.double.issue_trigger(),
                "team": {"id": TEAM_ID, "domain": "ourco"}, "user": {"id": user, "name": "sam"},
                "channel": {"id": channel, "name": self.double.channels[channel]["name"]},
                "message": message, "message_ts": message["ts"], "api_app_id": "A0ROTADESK",
                "response_url": "https://hooks.slack.com/app/T0/1/x", "token": "legacy-unused"}

    def submission_payload(self, view: dict, values: dict[str, str], customer: str | None = None,
                           user: str = "U0SAM") -> dict:
        state = {block: {"value": {"type": "plain_text_input", "value": value}} for block, value in values.items()}
        state["customer"] = {"customer_pick": {"type": "external_select", "selected_option":
                                               {"text": {"type": "plain_text", "text": customer},
                                                "value": customer} if customer else None}}
        return {"type": "view_submission", "team": {"id": TEAM_ID, "domain": "ourco"},
                "user": {"id": user, "name": "sam"}, "api_app_id": "A0ROTADESK",
                "view": {**view, "state": {"values": state}}}

    def command(self, text: str, *, channel: str = "C0ACME", user: str = "U0SAM") -> object:
        body = urlencode({"command": "/rotadesk", "text": text, "team_id": TEAM_ID, "user_id": user,
                          "user_name": "sam", "channel_id": channel, "channel_name": "acme-shared",
                          "trigger_id": self.double.issue_trigger(), "api_app_id": "A0ROTADESK",
                          "response_url": "https://hooks.slack.com/commands/T0/1/x"})
        return self.send(body)

    def button_payload(self, message: dict, channel: str, action_id: str, user: str) -> dict:
        """A block_actions payload: ``user`` clicked the button ``action_id`` of a message Rotadesk sent."""
        button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == action_id)
        block = next(b for b in message["blocks"] if b["type"] == "actions")
        return {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "ourco"},
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "A0ROTADESK",
                "token": "legacy-unused", "trigger_id": self.double.issue_trigger(),
                "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel,
                              "is_ephemeral": False},
                "channel": {"id": channel, "name": "directmessage"}, "message": message,
                "response_url": "https://hooks.slack.com/actions/T0/1/x",
                "actions": [{"type": "button", "action_id": action_id, "block_id": block["block_id"],
                             "text": button["text"], "value": button["value"], "action_ts": f"{self.clock():.6f}"}]}

    def opened_view(self) -> dict:
        (view,) = self.double.views.values()
        return view


def make_slack_world(db, settings: Settings, start: datetime) -> SlackWorld:
    clock = Clock(start)
    double = SlackDouble(clock=clock)
    double.add_channel("C0ACME", "acme-shared", shared=True)
    double.add_channel("C0ROTA", "support-rotation")
    double.add_user("U0JANE", "Jane Doe", "jane@acme.com", external=True)
    double.add_user("U0SAM", "Sam Agent", "sam@ourco.com")
    url, stop = double.serve()
    world = SlackWorld(double, None, None, clock, TrackingExecutor(), stop)  # type: ignore[arg-type]
    client = WebClient(token=BOT_TOKEN, base_url=url, timeout=5)
    client.retry_handlers.append(RetryAfter(sleep=world.sleeps.append))
    world.client = client
    world.app = SlackApp(db, settings, client, clock=clock, executor=world.executor)
    return world
