"""What the Linear client returns: small dataclasses and the mappers that build them from GraphQL nodes.

Nothing here talks to Linear; :mod:`core.linear` re-exports every dataclass, so callers import from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Viewer:
    id: str
    name: str
    email: str
    organization: str
    url_key: str


@dataclass(frozen=True)
class Team:
    id: str
    key: str
    name: str


@dataclass(frozen=True)
class State:
    id: str
    name: str
    type: str
    position: float = 0.0


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    color: str


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    display_name: str = ""
    active: bool = True


@dataclass(frozen=True)
class Issue:
    id: str
    identifier: str
    url: str
    title: str
    state_id: str
    state_name: str
    state_type: str
    updated_at: datetime
    created_at: datetime
    team_key: str = ""
    description: str = ""
    priority: int = 0
    completed_at: datetime | None = None
    canceled_at: datetime | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    assignee_email: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    id: str
    url: str
    title: str
    issue_id: str
    issue_identifier: str
    subtitle: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Comment:
    id: str
    body: str
    created_at: datetime
    url: str = ""
    user_email: str | None = None


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    external_ids: tuple[str, ...]
    domains: tuple[str, ...]
    tier: str | None = None


@dataclass(frozen=True)
class CustomerNeed:
    id: str
    customer_id: str | None
    issue_id: str | None
    attachment_id: str | None


@dataclass(frozen=True)
class AssignedIssue:
    """An issue assigned to someone, with that person's comments and every state move (the boundary guard)."""

    id: str
    identifier: str
    url: str
    title: str
    state_name: str
    state_type: str
    started_at: datetime | None
    updated_at: datetime
    comment_times: tuple[datetime, ...] = ()  # the assignee's own comments
    moves: tuple[tuple[datetime, str | None, str], ...] = ()  # (when, actor id, state moved to)


@dataclass(frozen=True)
class Cycle:
    """One of a team's Linear cycles: [starts_at, ends_at)."""

    id: str
    number: int
    name: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    url: str
    content: str = ""


# -- mappers from GraphQL nodes ----------------------------------------------------------------------------------
def issue_from(n: dict[str, Any]) -> Issue:
    state, assignee, team = n.get("state") or {}, n.get("assignee") or {}, n.get("team") or {}
    return Issue(
        id=n["id"],
        identifier=n["identifier"],
        url=n["url"],
        title=n["title"],
        state_id=state.get("id", ""),
        state_name=state.get("name", ""),
        state_type=state.get("type", ""),
        updated_at=parse_dt(n["updatedAt"]),
        created_at=parse_dt(n["createdAt"]),
        team_key=team.get("key", ""),
        description=n.get("description") or "",
        priority=int(n.get("priority") or 0),
        completed_at=maybe_dt(n.get("completedAt")),
        canceled_at=maybe_dt(n.get("canceledAt")),
        assignee_id=assignee.get("id"),
        assignee_name=assignee.get("name"),
        assignee_email=assignee.get("email"),
        labels=tuple(label["name"] for label in (n.get("labels") or {}).get("nodes", [])),
    )


def assigned_from(n: dict[str, Any]) -> AssignedIssue:
    state = n.get("state") or {}
    moves = tuple((parse_dt(h["createdAt"]), node_id(h.get("actor")), (h.get("toState") or {}).get("name", ""))
                  for h in (n.get("history") or {}).get("nodes", []) if h.get("toState"))
    return AssignedIssue(n["id"], n["identifier"], n["url"], n["title"], state.get("name", ""), state.get("type", ""),
                         maybe_dt(n.get("startedAt")), parse_dt(n["updatedAt"]),
                         tuple(parse_dt(c["createdAt"]) for c in (n.get("comments") or {}).get("nodes", [])), moves)


def cycle_from(n: dict[str, Any]) -> Cycle:
    return Cycle(n["id"], int(n["number"]), n.get("name") or "", parse_dt(n["startsAt"]), parse_dt(n["endsAt"]))


def document_from(n: dict[str, Any]) -> Document:
    return Document(n["id"], n["title"], n.get("url") or "", n.get("content") or "")


def attachment_from(n: dict[str, Any]) -> Attachment:
    issue = n.get("issue") or {}
    return Attachment(n["id"], n["url"], n["title"], issue.get("id", ""), issue.get("identifier", ""),
                      n.get("subtitle"), n.get("metadata") or {})


def comment_from(n: dict[str, Any]) -> Comment:
    return Comment(n["id"], n["body"], parse_dt(n["createdAt"]), n.get("url") or "", (n.get("user") or {}).get("email"))


def user_from(n: dict[str, Any]) -> User:
    return User(n["id"], n["name"], n["email"], n.get("displayName") or "", bool(n.get("active", True)))


def customer_from(c: dict[str, Any]) -> Customer:
    tier = (c.get("tier") or {}).get("name")
    return Customer(c["id"], c["name"], tuple(c.get("externalIds") or ()), tuple(c.get("domains") or ()), tier)


def need_from(n: dict[str, Any]) -> CustomerNeed:
    return CustomerNeed(n["id"], node_id(n.get("customer")), node_id(n.get("issue")), node_id(n.get("attachment")))


def node_id(node: dict[str, Any] | None) -> str | None:
    return None if not node else node.get("id")


def parse_dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def maybe_dt(value: str | None) -> datetime | None:
    return parse_dt(value) if value else None


def iso_z(moment: datetime) -> str:
    """``moment`` in UTC as Linear writes it (milliseconds, ``Z``); a naive time counts as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
