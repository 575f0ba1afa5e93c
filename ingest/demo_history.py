"""The demo's past quarter: thirteen rotation weeks of escalations and what became of them, told through the real
code paths.

Each past week's escalations come in as generated forwards through the intake pipeline; their Linear issues are
linked and moved to Done (or Canceled) the way the linker and the closing loop record it, their closing replies
are staged by the closing loop and marked sent as on the Replies page, and a customer writing again after a close
is a follow-up through the pipeline. Each rotation has its pulse; the playbook changed twice in the quarter; the
boundary guard found Linear work in two weeks; the team's two-week Linear cycles cover the quarter.

Everything is dated from the first day of the week the demo is built in, so it reads the same on any day. A step
already told (its messages seen, its pulses, breaches or cycles stored) is not told again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from core import boundary, closing, hand_close
from core import playbook as pb
from core.capacity import week_start_of
from core.handoff import week_window
from core.linear_models import AssignedIssue, Cycle
from core.settings import Settings
from core.store import boundary as boundary_store
from core.store import cycles as cycles_store
from core.store import iso, ops
from core.store import links as links_store
from core.store import planning as planning_store
from core.store import playbook as playbook_store
from core.store import replies as replies_store
from ingest.pipeline import ingest_raw

WEEKS = 13
LINEAR_URL = "https://linear.app/flowboard/issue/"
CYCLE_WEEKS, FIRST_CYCLE = 2, 31
# Who writes in for each customer, and who in support forwards it (the account owner in customers.csv).
CONTACTS = {
    "acme-corp.com": ("Jane Smith", "jane.smith", "Maria Lopez"),
    "globex.com": ("Hank Scorpio", "hank.scorpio", "Tom Becker"),
    "initech.com": ("Peter Gibbons", "peter.gibbons", "Maria Lopez"),
    "umbrella.co": ("Alice Abernathy", "alice.abernathy", "Tom Becker"),
    "hooli.com": ("Gavin Belson", "gavin.belson", "Tom Becker"),
    "piedpiper.com": ("Richard Hendricks", "richard", "Maria Lopez"),
}


@dataclass(frozen=True)
class Case:
    """One past escalation: when it came in (weeks before this one, day of that week, hour) and what became of it.

    Hours count from when it came in: ``triage`` until its Linear issue was made (None: it never had one),
    ``closed`` until it was closed; ``sent`` is how long its staged reply waited for support, ``again`` (when set)
    how long after the close the customer wrote that it is not fixed."""

    key: str
    weeks_ago: int
    day: int
    hour: int
    domain: str
    subject: str
    body: str
    triage: float | None
    closed: float
    how: str = "fixed"  # fixed (issue Done), wont_fix (issue Canceled) or answered (closed by hand, no issue)
    sent: float = 3.0
    again: float | None = None


CASES = (
    Case("gantt-freeze", 13, 0, 10, "acme-corp.com", "Gantt view freezes with 500 tasks",
       "the Gantt view of our launch plan freezes the browser tab once it has about 500 tasks.", 3, 50, sent=4),
    Case("move-board", 13, 1, 14, "initech.com", "How do I move a board to another workspace?",
       "how do I move our Sales board into the new workspace without losing the comments?", None, 5, "answered",
       sent=1),
    Case("recurring-skip", 13, 2, 11, "globex.com", "Recurring tasks skip the last day of the month",
       "monthly tasks set for the 31st never appear in months with 30 days.", 6, 216, sent=5),
    Case("eu-outage", 12, 0, 8, "umbrella.co", "Outage: boards fail to load in the EU region",
       "since 07:40 no board loads for anyone in our Frankfurt office. This is an outage for us.", 0.5, 6, sent=2),
    Case("vat-number", 12, 1, 10, "hooli.com", "Invoice shows the wrong VAT number",
       "our November invoice has the VAT number of our old entity.", None, 20, "answered", sent=2),
    Case("mentions", 12, 2, 16, "piedpiper.com", "Mentions in comments do not notify",
       "when someone mentions me in a comment I get no notification, neither mail nor push.", 4, 70, sent=6,
       again=30),
    Case("sidebar", 12, 3, 13, "acme-corp.com", "Sidebar collapses on every page load",
       "the left sidebar collapses each time a page loads, for everyone on Firefox.", 100, 160),
    Case("time-totals", 11, 0, 11, "globex.com", "Time tracking totals off by an hour",
       "the weekly time report adds an hour to every entry made on a Sunday.", 5, 30, sent=8),
    Case("archived-search", 11, 2, 9, "initech.com", "Search misses tasks in archived boards",
       "search finds nothing in boards we archived, even with the archive filter on.", 2, 288, sent=4),
    Case("read-only", 11, 3, 15, "hooli.com", "How do I share a board read-only?",
       "how do I share the roadmap board with our board of directors so they can look but not edit?", None, 3,
       "answered", sent=1),
    Case("copy-board", 10, 0, 14, "umbrella.co", "Copying a board drops the custom fields",
       "a copied board has every task but none of the custom field values.", 3, 40, sent=5),
    Case("slow-boards", 10, 1, 9, "acme-corp.com", "Boards load slowly since Tuesday",
       "boards with more than a few hundred cards take 20 seconds to open since Tuesday morning.", 1.5, 26),
    Case("ipad-colours", 10, 2, 10, "piedpiper.com", "Board colours reset on the iPad app",
       "the colours we pick for boards go back to grey whenever we open the iPad app.", 4, 60, "wont_fix",
       sent=10),
    Case("plan-shown", 10, 4, 11, "globex.com", "Billing page shows last year's plan",
       "the billing page still shows our old plan although we upgraded in September.", None, 48, "answered",
       sent=2),
    Case("calendar-dupes", 9, 0, 10, "hooli.com", "Calendar sync duplicates events",
       "every task with a due date shows up twice in our Google calendars.", 30, 216, sent=6),
    Case("big-uploads", 9, 2, 15, "acme-corp.com", "Attachments over 20 MB fail to upload",
       "uploads over 20 MB stop at 99 % and never finish.", 110, 200, sent=4),
    Case("template-checklists", 9, 3, 11, "initech.com", "Task templates lose their checklists",
       "tasks made from a template come without the checklist the template has.", 50, 130),
    Case("subtask-totals", 8, 0, 9, "umbrella.co", "Dashboard totals leave out subtasks",
       "the dashboard's open-work total counts tasks but not their subtasks.", 2, 28),
    Case("csv-fields", 8, 2, 10, "globex.com", "CSV export leaves out the custom fields",
       "the CSV export has every column except our custom fields.", 3, 45, sent=5),
    Case("guest", 8, 2, 14, "piedpiper.com", "How do I add a guest to one project?",
       "how do I invite our contractor to one project and nothing else?", None, 2, "answered", sent=1),
    Case("dst-reminders", 8, 3, 16, "acme-corp.com", "Reminder times wrong after the clocks change",
       "since the clocks changed every reminder arrives an hour early.", 4, 70, sent=12, again=20),
    Case("webhook-retries", 7, 0, 11, "hooli.com", "Webhook retries stop after one failure",
       "when our endpoint fails once, the webhook is never retried.", 1, 50, sent=4),
    Case("card-counts", 7, 1, 13, "initech.com", "Kanban card counts wrong with filters on",
       "the count on each column ignores the filter we set.", 3, 30, sent=2),
    Case("duplicate-invoice", 7, 3, 10, "umbrella.co", "Refund for the duplicate invoice",
       "we were charged twice for October and would like a refund of the second charge.", None, 6, "answered",
       sent=1),
    Case("revoked-links", 6, 0, 9, "acme-corp.com", "Security: shared links still open after revoking",
       "a link we revoked yesterday still opens the board. We treat this as a security issue.", 0.3, 10, sent=1),
    Case("rate-limit", 6, 1, 15, "globex.com", "API rate limit hit at 10 requests a minute",
       "our integration is throttled at 10 requests a minute although the docs say 100.", 2, 240),
    Case("trello-import", 6, 3, 10, "piedpiper.com", "Import from Trello stops at 1,000 cards",
       "the Trello import stops after exactly 1,000 cards with no message.", 5, 52, sent=6),
    Case("digest-emails", 5, 2, 11, "umbrella.co", "Deactivated accounts still get digest emails",
       "people we deactivated last month still receive the daily digest.", 4, 30),
    Case("gantt-pdf", 5, 3, 14, "hooli.com", "Gantt export to PDF cuts the last column",
       "the PDF export of the Gantt view cuts off the last month.", 3, 46, sent=4),
    Case("saved-filters", 4, 0, 10, "initech.com", "Board filters reset after saving",
       "a saved filter comes back empty the next time we open the board.", 20, 168, sent=5),
    Case("restore-board", 4, 2, 9, "acme-corp.com", "How can I restore an archived board?",
       "how can I bring back a board we archived by mistake?", None, 4, "answered", sent=2),
    Case("german-notifications", 3, 1, 10, "globex.com", "Notifications arrive in English for German users",
       "our colleagues with German set as their language get notifications in English.", 2, 50),
    Case("timeline-zoom", 3, 3, 15, "piedpiper.com", "Timeline zoom jumps back to today",
       "zooming out on the timeline jumps back to today after a second.", 4, 44, sent=8),
    Case("line-breaks", 2, 0, 11, "umbrella.co", "Comments lose their line breaks",
       "comments pasted from email lose every line break.", 1, 28, sent=2),
    Case("po-number", 2, 2, 9, "hooli.com", "Invoice PDF has no PO number",
       "the invoice PDF leaves out the purchase order number we entered.", None, 3, "answered", sent=1),
    Case("task-links", 1, 1, 10, "acme-corp.com", "Task links open the wrong workspace",
       "a link to a task opens the first workspace in the list, not the task's own.", 2, 26),
    Case("due-dates", 1, 2, 14, "initech.com", "Subtask due dates shift by a day",
       "moving a parent task shifts its subtasks' due dates by one day too many.", 3, 50, sent=4),
)

# What the customers wrote after a close (by case key): the fix did not hold.
AGAIN = {"mentions": "Richard says the mention notifications stopped again this morning.",
         "dst-reminders": "Jane says the reminders of their Sydney team are still an hour early."}

# The team's own playbook rules, added during the quarter: (weeks ago, day, hour, rule).
RULE_CHANGES = (
    (8, 1, 11, pb.Rule("Exports and integrations", 3, keywords=("export", "exported", "webhook", "webhooks", "api"),
                       position=50)),
    (5, 1, 15, pb.Rule("Team administration", 3, keywords=("deactivated user", "remove a user", "permissions"),
                       position=60)),
)

# The pulse after each past rotation, oldest first: (engineer, support) ratings and comments.
PULSES = (
    ((2, "Most of the week went on the Gantt freeze"), (3, "")),
    ((2, "The EU outage on Monday set the tone"), (3, "Slow answers on the VAT question")),
    ((3, ""), (3, "")),
    ((3, "Four escalations, one of them a billing question"), (4, "")),
    ((2, "Finished my feature work on the side; the queue waited"), (2, "Two escalations carried over")),
    ((4, "The new export rule sent integrations straight to me"), (4, "")),
    ((4, ""), (4, "Webhook retries fixed within a day")),
    ((3, "The security report took the whole of Monday"), (4, "")),
    ((4, ""), (3, "Team administration questions now go straight to engineering")),
    ((3, "Reviewed a roadmap doc during the week"), (3, "")),
    ((2, "Paged for the SSO loop while shipping my own feature"), (3, "")),
    ((3, ""), (4, "Fast answers on the webhook delays")),
    ((4, "The playbook kept how-to questions with support"), (4, "")),
)

# Non-escalation Linear work found in two rotation weeks: weeks ago -> (number, title, state, state type,
# (day, hour) of the engineer's move or None, (day, hour) of their comment or None).
BREACHES = {
    9: ((412, "Swimlanes: drag handles on touch screens", "In Progress", "started", None, (2, 16)),
        (418, "Move reminders to the job queue", "In Review", "started", (3, 11), (1, 10))),
    4: ((431, "Roadmap: timeline sharing design doc", "Todo", "unstarted", None, (2, 14)),),
}


def build(db: Database, settings: Settings, today: date) -> int:
    """Tell the past quarter on ``db`` (the rotation already planned through it, the playbook's rules in); returns
    the escalations added."""
    tz = ZoneInfo(settings.team_timezone)
    this_week = week_start_of(today, settings.week_start_index)
    at = _clock(this_week, tz)
    added = _seed_cases(db, settings, at)
    _seed_pulses(db, this_week, at)
    _seed_breaches(db, this_week, tz)
    _seed_cycles(db, settings, this_week, tz)
    return added


def _clock(this_week: date, tz: ZoneInfo):
    """``at(weeks_ago, day, hour)``: that hour of that day of the rotation week ``weeks_ago`` weeks back."""
    def at(weeks_ago: int, day: int, hour: float = 0) -> datetime:
        start, _ = week_window(this_week - timedelta(weeks=weeks_ago), tz)
        return start + timedelta(days=day, hours=hour)
    return at


def seed_rules(db: Database, settings: Settings, today: date) -> None:
    """The team's own rules beside the defaults, added when the quarter's story says (the pulse chart marks them)."""
    at = _clock(week_start_of(today, settings.week_start_index), ZoneInfo(settings.team_timezone))
    names = {r.name for r in playbook_store.rules(db)}
    for weeks_ago, day, hour, rule in RULE_CHANGES:
        if rule.name not in names:
            playbook_store.save_rule(db, rule, iso(at(weeks_ago, day, hour)))


def forward(case: Case, received: datetime) -> bytes:
    """The support colleague's forward of the customer's message, as Gmail writes it."""
    name, local, forwarder = CONTACTS[case.domain]
    first = name.split()[0]
    sender = forwarder.lower().replace(" ", ".") + "@flowboard.io"
    written = received - timedelta(minutes=40)
    return (f"Message-ID: <history-{case.key}@flowboard.io>\r\nDate: {format_datetime(received)}\r\n"
            f"From: {forwarder} <{sender}>\r\nTo: bugs@flowboard.io\r\nSubject: Fwd: {case.subject}\r\n"
            'MIME-Version: 1.0\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
            f"---------- Forwarded message ---------\r\nFrom: {name} <{local}@{case.domain}>\r\n"
            f"Date: {format_datetime(written)}\r\nSubject: {case.subject}\r\n"
            f"To: Flowboard Support <support@flowboard.io>\r\n\r\n\r\nHi,\r\n\r\n{case.body}\r\n\r\n{first}\r\n"
            ).encode()


def followup(case: Case, written: datetime) -> bytes:
    """The forwarder's note in the same thread that the customer wrote again."""
    _, _, forwarder = CONTACTS[case.domain]
    sender = forwarder.lower().replace(" ", ".") + "@flowboard.io"
    return (f"Message-ID: <history-{case.key}-again@flowboard.io>\r\n"
            f"In-Reply-To: <history-{case.key}@flowboard.io>\r\nReferences: <history-{case.key}@flowboard.io>\r\n"
            f"Date: {format_datetime(written)}\r\nFrom: {forwarder} <{sender}>\r\nTo: bugs@flowboard.io\r\n"
            f"Subject: Re: Fwd: {case.subject}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
            f"{AGAIN[case.key]}\r\n\r\n{forwarder.split()[0]}\r\n").encode()


def _seed_cases(db: Database, settings: Settings, at) -> int:
    """Every case in, then what happened to them in the order it happened. Cases seen before are left alone."""
    events: list[tuple[datetime, int, object]] = []
    for case in sorted(CASES, key=lambda c: (-c.weeks_ago, c.day, c.hour)):
        received = at(case.weeks_ago, case.day, case.hour)
        outcome = ingest_raw(db, settings, forward(case, received), source=f"demo:history/{case.key}", now=received)
        if outcome.status != "escalation" or outcome.escalation_id is None:
            continue  # told before
        eid = outcome.escalation_id
        closed = received + timedelta(hours=case.closed)
        staged = closed + timedelta(minutes=10 + 7 * (eid % 7))  # the worker's next poll
        if case.triage is not None:
            events.append((received + timedelta(hours=case.triage), 0, lambda e=eid, c=case, t=received:
                           _triage(db, e, c, t + timedelta(hours=c.triage))))
        events.append((closed, 1, lambda e=eid, c=case, t=closed, s=staged:
                       _close(db, settings, e, c, t, s)))
        events.append((staged + timedelta(hours=case.sent), 2, lambda e=eid, t=staged + timedelta(hours=case.sent):
                       _send(db, settings, e, t)))
        if case.again is not None:
            events.append((closed + timedelta(hours=case.again), 3, lambda c=case, t=closed + timedelta(
                hours=case.again): _write_again(db, settings, c, t)))
    for _, _, event in sorted(events, key=lambda e: (e[0], e[1])):
        event()
    return sum(1 for _, kind, _ in events if kind == 1)


def issue_id(escalation_id: int) -> str:
    return f"demo-issue-{escalation_id}"


def _triage(db: Database, escalation_id: int, case: Case, when: datetime) -> None:
    """The engineer on support made the Linear issue: linked, as the linker records it."""
    identifier = f"DEMO-{escalation_id}"
    detail = {"id": issue_id(escalation_id), "identifier": identifier, "url": LINEAR_URL + identifier,
              "title": case.subject, "state": "Todo"}
    links_store.save_link(db, escalation_id, {"linear_issue_id": detail["id"], "linear_identifier": identifier,
                                              "linear_url": detail["url"], "linear_state": "Todo",
                                              "linear_state_type": "unstarted"}, when)
    links_store.finish_step(db, escalation_id, "linear_issue", detail, when)
    links_store.finish_step(db, escalation_id, "done", {"issue": identifier, "ticket": None}, when)


def _close(db: Database, settings: Settings, escalation_id: int, case: Case, when: datetime,
           staged: datetime) -> None:
    """The issue moved to Done (or Canceled) and the closing loop staged the reply; or closed by hand."""
    if case.how == "answered":
        hand_close.close_by_hand(db, settings, None, escalation_id, "done", now=when)
        return
    state = ("Done", "completed") if case.how == "fixed" else ("Canceled", "canceled")
    links_store.save_link(db, escalation_id, {"linear_state": state[0], "linear_state_type": state[1]}, when)
    replies_store.set_link_state(db, issue_id(escalation_id), *state, iso(when))
    closing.stage_for_issue(db, settings, None, None, issue_id(escalation_id), now=staged)


def _send(db: Database, settings: Settings, escalation_id: int, when: datetime) -> None:
    """Support sent the staged reply from the Replies page."""
    for issue in (issue_id(escalation_id), f"hand-{escalation_id}"):
        for row in replies_store.replies_for_issue(db, issue):
            if row["status"] == "staged":
                closing.mark_sent(db, settings, None, row["key"], now=when)


def _write_again(db: Database, settings: Settings, case: Case, when: datetime) -> None:
    """The customer wrote again after the close; the next day's office hours discussed it."""
    outcome = ingest_raw(db, settings, followup(case, when), source=f"demo:history/{case.key}-again", now=when)
    if outcome.escalation_id is None:
        return
    discussed = when + timedelta(days=1)
    ops.mark_discussed(db, day=discussed.astimezone(ZoneInfo(settings.team_timezone)).date().isoformat(),
                       outcome="Reopened in Linear; the engineer on support takes it this week", now=iso(discussed),
                       escalation_id=outcome.escalation_id)


def _seed_pulses(db: Database, this_week: date, at) -> None:
    if planning_store.pulses(db):
        return
    for weeks_ago, (engineer, support) in zip(range(len(PULSES), 0, -1), PULSES):
        week = (this_week - timedelta(weeks=weeks_ago)).isoformat()
        # Rated with the handoff, on the last afternoon of the week.
        planning_store.save_pulses(db, week, {"engineer": engineer, "support": support}, iso(at(weeks_ago, 4, 16)))


def _seed_breaches(db: Database, this_week: date, tz: ZoneInfo) -> None:
    """What the boundary guard found in Linear, decided and stored as ``core.boundary_sync`` does."""
    if boundary_store.breach_rows(db):
        return
    engineers = {str(r["week_start"])[:10]: r["engineer_email"] for r in ops.rotation_weeks(db)}
    for weeks_ago, issues in BREACHES.items():
        week_start = this_week - timedelta(weeks=weeks_ago)
        email = engineers.get(week_start.isoformat())
        if not email:
            continue
        start, end = week_window(week_start, tz)
        user = f"demo-linear-{email}"
        assigned = [AssignedIssue(
            f"demo-issue-{n}", f"DEMO-{n}", f"{LINEAR_URL}DEMO-{n}", title, state, kind,
            start - timedelta(days=5) if kind == "started" else None, end - timedelta(hours=8),
            comment_times=(start + timedelta(days=said[0], hours=said[1]),) if said else (),
            moves=((start + timedelta(days=moved[0], hours=moved[1]), user, state),) if moved else ())
            for n, title, state, kind, moved, said in issues]
        found = boundary.breaches(assigned, week_start=week_start, start=start, end=end, user_id=user,
                                  engineer_email=email, escalation_issue_ids=boundary_store.escalation_issue_ids(db))
        boundary_store.save_week(db, found, end)


def _seed_cycles(db: Database, settings: Settings, this_week: date, tz: ZoneInfo) -> None:
    """The team's two-week Linear cycles over the quarter, the current one running, as the worker syncs them."""
    if cycles_store.cycles(db):
        return
    first = this_week - timedelta(weeks=WEEKS)
    found = []
    for i in range(WEEKS // CYCLE_WEEKS + 1):
        start, _ = week_window(first + timedelta(weeks=CYCLE_WEEKS * i), tz)
        end, _ = week_window(first + timedelta(weeks=CYCLE_WEEKS * (i + 1)), tz)
        found.append(Cycle(f"demo-cycle-{FIRST_CYCLE + i}", FIRST_CYCLE + i, "", start, end))
    cycles_store.save(db, settings.linear_team or "DEMO", found, week_window(this_week, tz)[0])
