"""Match roster engineers to their Linear user and HubSpot owner by email.

Ids already on the roster are kept (a person may use a different address in one tool and set the id by hand);
only the gaps are looked up, so once everyone is matched this makes no calls at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.roster import Engineer, match_external_ids
from core.store.rotation import list_engineers, upsert_engineers


@dataclass
class AccountMatch:
    """What one matching pass found: how many ids were filled, and who is still unmatched in which tool."""

    filled: int = 0
    no_linear_user: list[str] = field(default_factory=list)
    no_hubspot_owner: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"Matched {self.filled} account{'s' if self.filled != 1 else ''}."]
        if self.no_linear_user:
            parts.append(f"No Linear user for {', '.join(self.no_linear_user)}.")
        if self.no_hubspot_owner:
            parts.append(f"No HubSpot owner for {', '.join(self.no_hubspot_owner)}.")
        return " ".join(parts)


def match_accounts(db: Database, hubspot: HubSpotClient | None, linear: LinearClient | None) -> AccountMatch:
    """Fill missing ``linear_user_id`` and ``hubspot_owner_id`` on active engineers; a missing client is skipped."""
    engineers = [e for e in list_engineers(db) if e.active]
    linear_users = _linear_users(linear, [e for e in engineers if not e.linear_user_id])
    owners = _hubspot_owners(hubspot, [e for e in engineers if not e.hubspot_owner_id])
    matched = match_external_ids(engineers, linear_users, owners)
    changed = [new for old, new in zip(engineers, matched) if new != old]
    if changed:
        upsert_engineers(db, changed)
    result = AccountMatch(filled=sum(_filled(old, new) for old, new in zip(engineers, matched)))
    if linear is not None:
        result.no_linear_user = [e.email for e in matched if not e.linear_user_id]
    if hubspot is not None:
        result.no_hubspot_owner = [e.email for e in matched if not e.hubspot_owner_id]
    return result


def linear_user_id(db: Database, linear: LinearClient, email: str) -> str | None:
    """The engineer's Linear user id: from the roster, else looked up once and remembered."""
    engineer = next((e for e in list_engineers(db) if e.email == email.lower()), None)
    if engineer and engineer.linear_user_id:
        return engineer.linear_user_id
    user = linear.user_by_email(email)
    if user is None or not user.active:
        return None
    if engineer is not None:
        upsert_engineers(db, match_external_ids([engineer], {engineer.email: user.id}, {}))
    return user.id


def _linear_users(linear: LinearClient | None, engineers: list[Engineer]) -> dict[str, str]:
    if linear is None:
        return {}
    found = {e.email: linear.user_by_email(e.email) for e in engineers}
    return {email: user.id for email, user in found.items() if user is not None and user.active}


def _hubspot_owners(hubspot: HubSpotClient | None, engineers: list[Engineer]) -> dict[str, str]:
    if hubspot is None or not engineers:
        return {}
    return {o.email.lower(): o.id for o in hubspot.owners() if o.email}


def _filled(old: Engineer, new: Engineer) -> int:
    return int(new.linear_user_id != old.linear_user_id) + int(new.hubspot_owner_id != old.hubspot_owner_id)
