"""An in-memory Slack Web API that honours docs/slack-contract.md.

``slack_sdk.WebClient`` speaks urllib, not httpx, so tests run the double as a real local server:
``url, stop = double.serve()`` and ``WebClient(token=BOT_TOKEN, base_url=url + "/api/")``. The handler also works
behind ``httpx.MockTransport`` for anything else. Time comes from an injectable ``clock`` so trigger expiry and
rate-limit windows never depend on the wall clock.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tests.doubles import http

BOT_TOKEN = "xoxb-test-bot-token"
TEAM_ID, TEAM_DOMAIN, BOT_USER, BOT_ID = "T0TEAM001", "ourco", "U0BOT0001", "B0BOT0001"
TRIGGER_SECONDS = 3.0  # a trigger_id may be exchanged once, within three seconds
VIEW_LIMIT_BYTES = 250_000
TEXT_LIMIT = 40_000
TITLE_LIMIT = 24
METADATA_LIMIT = 3000
BLOCK_LIMIT = 100
_METHODS = ("auth.test", "views.open", "views.update", "chat.postMessage", "chat.update", "chat.getPermalink",
            "users.info", "users.lookupByEmail", "conversations.info")
BUTTON_TEXT_LIMIT, ACTION_ID_LIMIT, VALUE_LIMIT, ACTIONS_LIMIT, SECTION_TEXT_LIMIT = 75, 255, 2000, 25, 3000


@dataclass
class Call:
    """One request the double received, with its arguments merged from query, form and JSON body."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str] = field(repr=False)


class _Fail(Exception):
    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        self.error, self.status, self.extra = error, status, extra


class SlackDouble:
    """Workspace state (users, channels, messages, views) plus the Web API methods Rotadesk calls."""

    def __init__(self, *, clock: Callable[[], float] | None = None, email_scope: bool = True) -> None:
        self.clock = clock or (lambda: 1_772_400_000.0)
        self.email_scope = email_scope  # users:read.email granted: profiles carry an email
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> messages in posting order
        self.views: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, dict[str, Any]] = {}  # trigger_id -> {"issued": t, "used": bool}
        self.calls: list[Call] = []
        self.limits: dict[str, tuple[int, float]] = {}  # method -> (calls per window, window seconds)
        self.throttled: dict[str, int] = {}  # method -> Retry-After seconds for its next call only
        self.delay: dict[str, float] = {}  # method -> real seconds to wait before answering (slow Slack)
        self._window: dict[str, list[float]] = {}
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    # -- seeding ----------------------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, email: str = "", *, external: bool = False) -> str:
        team = "T0EXTERN1" if external else TEAM_ID
        self.users[user_id] = {"id": user_id, "team_id": team, "name": name.split()[0].lower(), "real_name": name,
                               "deleted": False, "is_bot": False, "is_stranger": False,
                               "profile": {"real_name": name, "display_name": name.split()[0], "email": email}}
        return user_id

    def add_channel(self, channel_id: str, name: str, *, shared: bool = False, member: bool = True) -> str:
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_channel": True, "is_private": False,
                                     "is_archived": False, "is_ext_shared": shared, "is_shared": shared,
                                     "is_member": member, "created": int(self.clock())}
        self.messages.setdefault(channel_id, [])
        return channel_id

    def add_message(self, channel: str, user: str, text: str, *, files: list[dict] | None = None,
                    thread_ts: str | None = None) -> dict[str, Any]:
        message = {"type": "message", "user": user, "text": text, "ts": self._next_ts()}
        if files:
            message["files"] = files
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages[channel].append(message)
        return message

    def issue_trigger(self) -> str:
        """What Slack puts in an interaction payload: a trigger_id valid once, for three seconds."""
        trigger = f"{next(self._ids)}.{TEAM_ID[1:]}.{'%032x' % next(self._ids)}"
        self.triggers[trigger] = {"issued": self.clock(), "used": False}
        return trigger

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.get(channel, []) if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return f"{link}?thread_ts={thread_ts}&cid={channel}" if thread_ts and thread_ts != ts else link

    # -- transport --------------------------------------------------------------------------------------------
    def serve(self, port: int = 0) -> tuple[str, Callable[[], None]]:
        url, stop = http.serve(self.handler, port=port)
        return url + "/api/", stop

    def handler(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.removeprefix("/api/")
        delay = self.delay.get(method)
        if delay:
            threading.Event().wait(delay)
        with self._lock:
            args = self._args(request)
            self.calls.append(Call(method, args, dict(request.headers)))
            try:
                if method not in _METHODS:
                    raise _Fail("unknown_method", 404)
                self._authenticate(request, args)
                self._rate_limit(method)
                result = getattr(self, "_" + method.replace(".", "_"))(args)
            except _Fail as fail:
                headers = {"Retry-After": str(fail.extra.pop("retry_after"))} if "retry_after" in fail.extra else {}
                return httpx.Response(fail.status, json={"ok": False, "error": fail.error, **fail.extra},
                                      headers=headers)
            return httpx.Response(200, json={"ok": True, **result})

    def _args(self, request: httpx.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.url.params)
        content_type = request.headers.get("content-type", "")
        body = request.content.decode("utf-8") if request.content else ""
        if "application/json" in content_type and body:
            args.update(json.loads(body))
        elif body:
            args.update(parse_qsl(body, keep_blank_values=True))
        return args

    def _authenticate(self, request: httpx.Request, args: dict[str, Any]) -> None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.get("token", "")
        if not token:
            raise _Fail("not_authed")
        if token != BOT_TOKEN:
            raise _Fail("invalid_auth")

    def _rate_limit(self, method: str) -> None:
        if method in self.throttled:
            raise _Fail("ratelimited", 429, retry_after=self.throttled.pop(method))
        if method not in self.limits:
            return
        count, window = self.limits[method]
        now = self.clock()
        recent = [t for t in self._window.get(method, []) if now - t < window]
        if len(recent) >= count:
            raise _Fail("ratelimited", 429, retry_after=max(1, int(window - (now - recent[0])) + 1))
        self._window[method] = recent + [now]

    # -- methods ----------------------------------------------------------------------------------------------
    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"https://{TEAM_DOMAIN}.slack.com/", "team": "Our Co", "user": "rotadesk", "team_id": TEAM_ID,
                "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_argument(args)
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise _Fail("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: "
                                                                             "trigger_id"]})
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise _Fail("invalid_trigger_id")
        if trigger["used"]:
            raise _Fail("exchanged_trigger_id")
        if self.clock() - trigger["issued"] > TRIGGER_SECONDS:
            raise _Fail("expired_trigger_id")
        self._check_external_id(view, None)
        trigger["used"] = True
        view_id = f"V{next(self._ids):08d}"
        return {"view": self._store_view(view_id, view)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_argument(args)
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise _Fail("invalid_arguments", response_metadata={"messages": ["[ERROR] either view_id or external_id "
                                                                             "is required"]})
        current = self.views.get(view_id) if view_id else next(
            (v for v in self.views.values() if v.get("external_id") == external_id), None)
        if current is None:
            raise _Fail("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _Fail("hash_conflict")
        self._check_external_id(view, current["id"])
        return {"view": self._store_view(current["id"], view)}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        # A user id as the channel posts in the app's DM with them; the answer names the DM (D...).
        target = args.get("channel")
        channel = self._open_im(target) if target in self.users else self._channel(target)
        if not channel["is_member"]:
            raise _Fail("not_in_channel")
        text, blocks = self._message_content(args)
        thread_ts = args.get("thread_ts") or None
        if thread_ts and not any(m["ts"] == thread_ts for m in self.messages[channel["id"]]):
            raise _Fail("thread_not_found")  # what Rotadesk must never do: reply to a message that is not there
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": text, "ts": self._next_ts()}
        if blocks:
            message["blocks"] = blocks
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages[channel["id"]].append(message)
        return {"channel": channel["id"], "ts": message["ts"], "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))  # a DM's D id: a user id is not accepted here
        message = next((m for m in self.messages[channel["id"]] if m["ts"] == args.get("ts")), None)
        if message is None:
            raise _Fail("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise _Fail("cant_update_message")
        text, blocks = self._message_content(args)
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER, "ts": self._next_ts()}
        return {"channel": channel["id"], "ts": message["ts"], "text": text, "message": message}

    def _message_content(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
        text, blocks = args.get("text") or "", args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks) if blocks else None
        if not text.strip() and not blocks:
            raise _Fail("no_text")
        if len(text) > TEXT_LIMIT:
            raise _Fail("msg_too_long")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50 or _block_problems(blocks)):
            raise _Fail("invalid_blocks", response_metadata={"messages": _block_problems(blocks)
                                                             if isinstance(blocks, list) else []})
        return text, blocks

    def dm(self, user_id: str) -> list[dict[str, Any]]:
        """The messages in the app's direct-message conversation with ``user_id``."""
        return self.messages.get(self._im_of(user_id), [])

    def _im_of(self, user_id: str) -> str:
        return "D" + user_id[1:]

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.email_scope:
            raise _Fail("missing_scope", needed="users:read.email", provided="users:read")
        email = (args.get("email") or "").strip().lower()
        user = next((u for u in self.users.values() if u["profile"].get("email", "").lower() == email), None)
        if user is None or not email:
            raise _Fail("users_not_found")
        return {"user": json.loads(json.dumps(user))}

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        ts = args.get("message_ts")
        message = next((m for m in self.messages[channel["id"]] if m["ts"] == ts), None) if ts else None
        if message is None:
            raise _Fail("message_not_found")
        return {"channel": channel["id"], "permalink": self.permalink(channel["id"], ts, message.get("thread_ts"))}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user") or "")
        if user is None:
            raise _Fail("user_not_found")
        user = json.loads(json.dumps(user))
        if not self.email_scope:
            user["profile"].pop("email", None)
        return {"user": user}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": dict(self._channel(args.get("channel")))}

    # -- helpers ----------------------------------------------------------------------------------------------
    def _open_im(self, user_id: str) -> dict[str, Any]:
        im = self._im_of(user_id)
        self.channels.setdefault(im, {"id": im, "is_im": True, "user": user_id, "is_member": True})
        self.messages.setdefault(im, [])
        return self.channels[im]

    def _channel(self, channel_id: str | None) -> dict[str, Any]:
        channel = self.channels.get(channel_id or "")
        if channel is None:
            raise _Fail("channel_not_found")
        return channel

    def _view_argument(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = args.get("view")
        if raw is None or raw == "":
            raise _Fail("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: view"]})
        view = json.loads(raw) if isinstance(raw, str) else raw
        if len(json.dumps(view).encode("utf-8")) > VIEW_LIMIT_BYTES:
            raise _Fail("view_too_large")
        problems = _view_problems(view)
        if problems:
            raise _Fail("invalid_arguments", response_metadata={"messages": problems})
        return view

    def _check_external_id(self, view: dict[str, Any], own_id: str | None) -> None:
        external_id = view.get("external_id")
        if external_id and any(v.get("external_id") == external_id and v["id"] != own_id
                               for v in self.views.values()):
            raise _Fail("duplicate_external_id")

    def _store_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        stored = {**view, "id": view_id, "team_id": TEAM_ID, "hash": f"{int(self.clock())}.{next(self._ids):08x}",
                  "state": {"values": {}}, "private_metadata": view.get("private_metadata", ""),
                  "callback_id": view.get("callback_id", ""), "root_view_id": view_id, "app_id": "A0ROTADESK",
                  "bot_id": BOT_ID}
        self.views[view_id] = stored
        return stored

    def _next_ts(self) -> str:
        return f"{int(self.clock())}.{next(self._ts):06d}"


def _view_problems(view: Any) -> list[str]:
    """The Block Kit rules for a modal that Rotadesk's views touch, as Slack words them."""
    if not isinstance(view, dict):
        return ["[ERROR] view must be an object [json-pointer:/view]"]
    problems = []
    if view.get("type") != "modal":
        problems.append("[ERROR] must be 'modal' [json-pointer:/view/type]")
    for key in ("title", "submit", "close"):
        part = view.get(key)
        if key == "title" and part is None:
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        if part is not None and (part.get("type") != "plain_text" or not 0 < len(part.get("text", "")) <= TITLE_LIMIT):
            problems.append(f"[ERROR] must be plain_text of 1 to {TITLE_LIMIT} characters [json-pointer:/view/{key}]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > BLOCK_LIMIT:
        problems.append(f"[ERROR] must be a list of at most {BLOCK_LIMIT} blocks [json-pointer:/view/blocks]")
        return problems
    if any(b.get("type") == "input" for b in blocks) and view.get("submit") is None:
        problems.append("[ERROR] a view with input blocks needs submit [json-pointer:/view/submit]")
    if len(view.get("private_metadata", "")) > METADATA_LIMIT:
        problems.append(f"[ERROR] must be at most {METADATA_LIMIT} characters [json-pointer:/view/private_metadata]")
    block_ids = [b.get("block_id") for b in blocks if b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append("[ERROR] block_id must be unique [json-pointer:/view/blocks]")
    for i, block in enumerate(blocks):
        if block.get("type") == "input":
            element = block.get("element") or {}
            if not block.get("label") or element.get("type") is None:
                problems.append(f"[ERROR] input needs label and element [json-pointer:/view/blocks/{i}]")
            limit = element.get("max_length", 3000)
            if element.get("type") == "plain_text_input" and len(element.get("initial_value", "")) > limit:
                problems.append(f"[ERROR] initial_value longer than max_length [json-pointer:/view/blocks/{i}]")
            if element.get("type") == "external_select" and "initial_option" in element:
                option = element["initial_option"]
                if not option.get("value") or option.get("text", {}).get("type") != "plain_text":
                    problems.append(f"[ERROR] initial_option needs text and value [json-pointer:/view/blocks/{i}]")
        elif block.get("type") in ("section", "context") and not (block.get("text") or block.get("elements")
                                                                    or block.get("fields")):
            problems.append(f"[ERROR] {block['type']} needs text [json-pointer:/view/blocks/{i}]")
    return problems


def _block_problems(blocks: list[Any]) -> list[str]:
    """Block Kit's rules for the message blocks Rotadesk sends: sections and actions with buttons."""
    problems: list[str] = []
    action_ids: list[str] = []
    block_ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append("[ERROR] block_id must be unique [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:/blocks/{i}]")
            continue
        if block.get("type") == "section":
            text = (block.get("text") or {}).get("text", "")
            if not text and not block.get("fields"):
                problems.append(f"[ERROR] section needs text [json-pointer:/blocks/{i}]")
            if len(text) > SECTION_TEXT_LIMIT:
                problems.append(f"[ERROR] must be at most {SECTION_TEXT_LIMIT} characters "
                                f"[json-pointer:/blocks/{i}/text]")
        elif block.get("type") == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= ACTIONS_LIMIT:
                problems.append(f"[ERROR] must have 1 to {ACTIONS_LIMIT} elements [json-pointer:/blocks/{i}]")
            for j, element in enumerate(elements):
                where = f"[json-pointer:/blocks/{i}/elements/{j}]"
                if element.get("type") != "button":
                    continue
                text = element.get("text") or {}
                if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= BUTTON_TEXT_LIMIT:
                    problems.append(f"[ERROR] text must be plain_text of 1 to {BUTTON_TEXT_LIMIT} characters {where}")
                if len(element.get("action_id", "")) > ACTION_ID_LIMIT or len(element.get("value", "")) > VALUE_LIMIT:
                    problems.append(f"[ERROR] action_id or value too long {where}")
                if element.get("style") not in (None, "primary", "danger"):
                    problems.append(f"[ERROR] style must be primary or danger {where}")
                if element.get("action_id"):
                    action_ids.append(element["action_id"])
        elif block.get("type") not in ("context", "divider", "header", "rich_text", "image"):
            problems.append(f"[ERROR] unknown block type [json-pointer:/blocks/{i}/type]")
    if len(action_ids) != len(set(action_ids)):
        problems.append("[ERROR] action_id must be unique within a message [json-pointer:/blocks]")
    return problems
