"""Reading a schedule kept elsewhere: a spreadsheet's CSV and another tool's iCal file (issue 15)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar, Event, vCalAddress

from core.errors import ValidationError
from core.roster import Engineer
from core.schedule_import import MAX_BYTES, parse_csv, parse_ical, parse_schedule

TEAM = [Engineer("ada@ourco.com", "Ada Lovelace"), Engineer("bo@ourco.com", "Bo Chen"),
        Engineer("cy@ourco.com", "Cy Young", active=False), Engineer("al@ourco.com", "Al")]
MONDAY = date(2026, 1, 5)


def csv_weeks(text: str, index: int = 0):
    return [(w.week_start, w.engineer_email, w.backup_email) for w in
            parse_csv(text, TEAM, week_start_index=index).weeks]


def test_csv_rows_match_people_by_email_or_name_with_an_optional_backup():
    text = ("Week start,Engineer,Backup,Comment\n"
            "2026-01-12,bo chen,,\n"
            "2026-01-05, ADA@ourco.com ,Cy Young,x\n"
            ",,,\n")
    assert csv_weeks(text) == [(MONDAY, "ada@ourco.com", "cy@ourco.com"),
                               (MONDAY + timedelta(weeks=1), "bo@ourco.com", None)]
    assert parse_csv(text, TEAM, week_start_index=0).warnings == ["Column 'Comment' is not used."]


def test_csv_problems_are_all_reported_with_their_line_numbers():
    text = ("email,week_start,backup\n"
            "ada@ourco.com,2026-01-05,ada@ourco.com\n"   # line 2: own backup
            "zed@ourco.com,2026-01-12,\n"                # line 3: not on the roster
            "bo@ourco.com,05/01/2026,\n"                 # line 4: not ISO
            "bo@ourco.com,2026-01-14,\n"                 # line 5: a Wednesday
            "bo@ourco.com,2026-01-19,\n"
            "al@ourco.com,2026-01-19,\n")                # line 7: the week is taken on line 6
    with pytest.raises(ValidationError) as info:
        parse_csv(text, TEAM, week_start_index=0)
    message = str(info.value)
    assert message.startswith("Schedule not imported. ")
    assert "line 2: ada@ourco.com cannot be their own backup" in message
    assert "line 3: 'zed@ourco.com' is not on the roster" in message
    assert "line 4: week start '05/01/2026' is not a date (write it as YYYY-MM-DD)" in message
    assert "line 5: 2026-01-14 is a Wednesday; rotation weeks start on a Monday" in message
    assert "line 7: the week of 2026-01-19 is already given to bo@ourco.com on line 6" in message


def test_csv_needs_a_person_and_a_week_column_and_a_unique_name():
    with pytest.raises(ValidationError, match="lacks a column for a week start"):
        parse_csv("email,backup\nada@ourco.com,\n", TEAM, week_start_index=0)
    with pytest.raises(ValidationError, match="no weeks"):
        parse_csv("email,week\n", TEAM, week_start_index=0)
    twins = [*TEAM, Engineer("bo2@ourco.com", "Bo Chen")]
    with pytest.raises(ValidationError, match="two engineers are called 'Bo Chen'; use the email"):
        parse_csv("name,week\nBo Chen,2026-01-05\n", twins, week_start_index=0)


def test_a_repeated_identical_row_is_one_week_and_the_weekday_follows_the_setting():
    sunday = "name,week\nAda Lovelace,2026-01-04\nAda Lovelace,2026-01-04\n"
    assert csv_weeks(sunday, index=6) == [(date(2026, 1, 4), "ada@ourco.com", None)]


def calendar(*events: Event) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Another tool//EN")
    cal.add("version", "2.0")
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def event(summary: str, start, end, attendee: str | None = None, **extra) -> Event:
    item = Event()
    item.add("uid", f"{summary}-{start}")
    item.add("summary", summary)
    item.add("dtstart", start)
    item.add("dtend", end)
    if attendee:
        item.add("attendee", vCalAddress(f"mailto:{attendee}"))
    for key, value in extra.items():
        item.add(key, value)
    return item


def test_ical_events_give_the_weeks_they_hold_to_the_named_engineer_and_backup():
    data = calendar(
        # Another tool's week runs Sunday to Sunday: it holds the rotation week starting that Monday.
        event("Primary on call", date(2026, 1, 4), date(2026, 1, 11), attendee="Ada@ourco.com"),
        # Two weeks in one event, the person named in the title.
        event("On call: Bo Chen", datetime(2026, 1, 12, 9, tzinfo=timezone.utc),
              datetime(2026, 1, 26, 9, tzinfo=timezone.utc)),
        event("Backup: Al", date(2026, 1, 5), date(2026, 1, 12)),
        # A one-day shift falls in the week that holds it.
        event("Cy Young", date(2026, 2, 4), date(2026, 2, 5)),
    )
    parsed = parse_ical(data, TEAM, week_start_index=0, tz="Europe/Berlin")
    assert [(w.week_start, w.engineer_email, w.backup_email) for w in parsed.weeks] == [
        (MONDAY, "ada@ourco.com", "al@ourco.com"),
        (MONDAY + timedelta(weeks=1), "bo@ourco.com", None),
        (MONDAY + timedelta(weeks=2), "bo@ourco.com", None),
        (date(2026, 2, 2), "cy@ourco.com", None)]


def test_ical_times_are_read_in_the_team_zone():
    # 23:30 UTC on Sunday is already Monday in Berlin.
    data = calendar(event("Ada Lovelace", datetime(2026, 1, 4, 23, 30, tzinfo=timezone.utc),
                          datetime(2026, 1, 5, 8, tzinfo=timezone.utc)))
    assert parse_ical(data, TEAM, week_start_index=0, tz="UTC").weeks[0].week_start == date(2025, 12, 29)
    assert parse_ical(data, TEAM, week_start_index=0, tz="Europe/Berlin").weeks[0].week_start == MONDAY


def test_ical_problems_name_the_event():
    data = calendar(
        event("Standup", date(2026, 1, 5), date(2026, 1, 6)),
        event("Ada Lovelace and Bo Chen", date(2026, 1, 12), date(2026, 1, 13)),
        event("Alice party", date(2026, 1, 19), date(2026, 1, 20)),  # Al is a whole word, not part of Alice
        event("Bo Chen", date(2026, 1, 26), date(2026, 1, 27), rrule={"freq": "weekly"}),
        event("Ada Lovelace", date(2026, 2, 2), date(2026, 2, 9)),
        event("Bo Chen", date(2026, 2, 3), date(2026, 2, 4)),
    )
    with pytest.raises(ValidationError) as info:
        parse_ical(data, TEAM, week_start_index=0, tz="UTC")
    message = str(info.value)
    assert "event 1 (Standup): names nobody on the roster" in message
    assert "event 2 (Ada Lovelace and Bo Chen): names more than one engineer (ada@ourco.com, bo@ourco.com)" in message
    assert "event 3 (Alice party): names nobody on the roster" in message
    assert "event 4 (Bo Chen): it repeats (RRULE)" in message
    assert "event 6 (Bo Chen): the week of 2026-02-02 is already ada@ourco.com's (event 5 (Ada Lovelace))" in message


def test_files_are_told_apart_and_bounded():
    ics = calendar(event("Ada Lovelace", date(2026, 1, 5), date(2026, 1, 12)))
    assert parse_schedule("export.txt", ics, TEAM, week_start_index=0, tz="UTC").weeks[0].engineer_email == \
        "ada@ourco.com"
    text = "\ufeffemail,week\nbo@ourco.com,2026-01-05\n".encode()
    assert parse_schedule("s.csv", text, TEAM, week_start_index=0, tz="UTC").weeks[0].engineer_email == "bo@ourco.com"
    with pytest.raises(ValidationError, match="not UTF-8"):
        parse_schedule("s.csv", b"email,week\n\xff\xfe,2026-01-05\n", TEAM, week_start_index=0, tz="UTC")
    with pytest.raises(ValidationError, match="larger than"):
        parse_schedule("s.csv", b"x" * (MAX_BYTES + 1), TEAM, week_start_index=0, tz="UTC")
    with pytest.raises(ValidationError, match="cannot be read"):
        parse_schedule("s.ics", b"BEGIN:VCALENDAR\nnonsense", TEAM, week_start_index=0, tz="UTC")
    with pytest.raises(ValidationError, match="no on-call events"):
        parse_schedule("s.ics", calendar(), TEAM, week_start_index=0, tz="UTC")
