"""Schema migrations. Each concept may add its own ``Migrations`` set; append it to ``MIGRATION_SETS``."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

base = Migrations("rotadesk")


@base()
def m001_initial(db: Database) -> None:
    db["engineers"].create(
        {"email": str, "name": str, "timezone": str, "linear_user_id": str, "hubspot_owner_id": str,
         "start_date": str, "active": int, "updated_at": str},
        pk="email", not_null={"name"}, defaults={"active": 1, "timezone": "UTC"},
    )
    db["unavailability"].create(
        {"id": int, "engineer_email": str, "kind": str, "start": str, "end": str, "reason": str},
        pk="id", foreign_keys=[("engineer_email", "engineers", "email")],
    )
    db["rotation_weeks"].create(
        {"week_start": str, "engineer_email": str, "published": int, "sequence": int, "note": str, "updated_at": str},
        pk="week_start", defaults={"published": 0, "sequence": 0},
    )
    db["rotation_overrides"].create(
        {"id": int, "week_start": str, "from_email": str, "to_email": str, "requested_by": str,
         "decided_by": str, "reason": str, "at": str},
        pk="id",
    )
    db["customers"].create(
        {"domain": str, "company": str, "tier": str, "revenue": int, "size": int, "hubspot_company_id": str,
         "owner": str, "updated_at": str},
        pk="domain",
    )
    db["inbound_messages"].create(
        {"message_id": str, "source": str, "raw_path": str, "sha256": str, "size": int, "folder": str,
         "uid": int, "received_at": str, "status": str, "reason": str, "escalation_id": int, "updated_at": str},
        pk="message_id", defaults={"status": "new"},
    )
    db["inbound_messages"].create_index(["sha256"])
    db["escalations"].create(
        {"id": int, "message_id": str, "thread_key": str, "customer_name": str, "customer_address": str,
         "customer_domain": str, "company": str, "tier": str, "subject": str, "body": str, "note": str,
         "forwarded": int, "forwarded_by_name": str, "forwarded_by_address": str, "original_date": str,
         "received_at": str, "attachments": str, "status": str, "closed_at": str, "updated_at": str},
        pk="id", defaults={"status": "open"},
    )
    db["escalations"].create_index(["message_id"], unique=True)
    db["escalations"].create_index(["customer_domain"])
    db["followups"].create(
        {"message_id": str, "escalation_id": int, "sender": str, "body": str, "received_at": str},
        pk="message_id", foreign_keys=[("escalation_id", "escalations", "id")],
    )
    db["attachments"].create(
        {"sha256": str, "size": int, "content_type": str, "stored": int, "path": str}, pk="sha256",
    )
    db["thread_keys"].create({"message_id": str, "escalation_id": int}, pk="message_id")
    db["links"].create(
        {"escalation_id": int, "hubspot_ticket_id": str, "hubspot_ticket_url": str, "hubspot_contact_id": str,
         "hubspot_company_id": str, "linear_issue_id": str, "linear_identifier": str, "linear_url": str,
         "linear_state": str, "linear_state_type": str, "linear_attachment_id": str, "updated_at": str},
        pk="escalation_id", foreign_keys=[("escalation_id", "escalations", "id")],
    )
    db["links"].create_index(["linear_issue_id"])
    db["links"].create_index(["hubspot_ticket_id"])
    db["journal"].create(
        {"escalation_id": int, "step": str, "status": str, "detail": str, "attempts": int, "at": str},
        pk=("escalation_id", "step"), defaults={"attempts": 0},
    )
    db["quarantine"].create(
        {"message_id": str, "reason": str, "sender": str, "subject": str, "received_at": str, "status": str,
         "decided_by": str, "decided_at": str},
        pk="message_id", defaults={"status": "pending"},
    )
    db["imap_state"].create({"folder": str, "uidvalidity": int, "last_uid": int, "updated_at": str}, pk="folder")
    db["office_hours"].create(
        {"id": int, "day": str, "escalation_id": int, "topic": str, "asked_by": str, "status": str,
         "outcome": str, "created_at": str, "updated_at": str},
        pk="id", defaults={"status": "open"},
    )
    db["reply_templates"].create({"outcome": str, "body": str, "updated_at": str}, pk="outcome")
    db["staged_replies"].create(
        {"key": str, "escalation_id": int, "linear_issue_id": str, "hubspot_ticket_id": str, "outcome": str,
         "body": str, "hubspot_task_id": str, "previous_stage": str, "done_at": str, "staged_at": str,
         "sent_at": str, "withdrawn_at": str, "status": str},
        pk="key", defaults={"status": "staged"},
    )
    db["handoffs"].create(
        {"week_start": str, "engineer_email": str, "fixed": str, "triaged": str, "priorities": str,
         "notes": str, "submitted_at": str},
        pk="week_start",
    )
    db["sync_state"].create({"key": str, "value": str, "updated_at": str}, pk="key")
    db["webhook_deliveries"].create({"delivery_id": str, "received_at": str, "outcome": str}, pk="delivery_id")


# Each concept's module keeps its own migration set, imported after ``base``; the list fixes the order they run in.
from core.store.audit import migrations as audit_migrations  # noqa: E402
from core.store.board import migrations as board_migrations  # noqa: E402
from core.store.care import migrations as care_migrations  # noqa: E402
from core.store.feedback_schema import migrations as feedback_migrations  # noqa: E402
from core.store.follow import migrations as follow_migrations  # noqa: E402
from core.store.inbound import migrations as inbound_migrations  # noqa: E402
from core.store.links import migrations as links_migrations  # noqa: E402
from core.store.ops import migrations as ops_migrations  # noqa: E402
from core.store.planning import migrations as planning_migrations  # noqa: E402
from core.store.playbook import migrations as playbook_migrations  # noqa: E402
from core.store.replies import migrations as replies_migrations  # noqa: E402
from core.store.rotation_schema import migrations as rotation_migrations  # noqa: E402
from core.store.similar import migrations as similar_migrations  # noqa: E402
from core.store.slack import migrations as slack_migrations  # noqa: E402

MIGRATION_SETS: list[Migrations] = [base, ops_migrations, replies_migrations, links_migrations, care_migrations,
                                   slack_migrations, rotation_migrations, playbook_migrations, planning_migrations,
                                   inbound_migrations, similar_migrations, follow_migrations,
                                   board_migrations, feedback_migrations,
                                   audit_migrations]
