"""Closing-reply templates: named placeholders only, refused with a message naming the bad one."""

from __future__ import annotations

import pytest

from core import templates
from core.errors import ValidationError


def test_render_substitutes_every_known_placeholder() -> None:
    text = (
        "Hi {first_name} at {company}: {issue_identifier} {issue_title} / {fix_summary} #{ticket_number} "
        "{engineer_name}"
    )
    values = {
        "first_name": "Dana",
        "company": "Acme",
        "issue_identifier": "ENG-1",
        "issue_title": "Export",
        "fix_summary": "Fixed rows",
        "ticket_number": "77",
        "engineer_name": "Ada",
    }
    assert templates.render(text, values) == "Hi Dana at Acme: ENG-1 Export / Fixed rows #77 Ada"


def test_doubled_braces_stay_literal_and_values_are_not_reformatted() -> None:
    rendered = templates.render("{{literal}} {first_name}", {"first_name": "{company} {0.__class__}"})
    assert rendered == "{literal} {company} {0.__class__}"


def test_missing_values_render_empty() -> None:
    assert templates.render("Hi {first_name}!", {}) == "Hi !"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Hi {name}", "{name}"),
        ("Hi {first_name.__class__}", "{first_name.__class__}"),
        ("Hi {first_name[0]}", "{first_name[0]}"),
        ("Hi {}", "{}"),
        ("Hi {0}", "{0}"),
        ("Hi {first_name!r}", "{first_name!r}"),
        ("Hi {first_name:>99999}", "{first_name:>99999}"),
        ("Hi {__import__}", "{__import__}"),
    ],
)
def test_bad_placeholders_are_refused_by_name(text: str, named: str) -> None:
    with pytest.raises(ValidationError) as error:
        templates.validate(text)
    assert named in str(error.value)


@pytest.mark.parametrize("text", ["Hi {first_name", "Hi first_name}", "   "])
def test_broken_or_empty_templates_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        templates.validate(text)


@pytest.mark.parametrize("outcome", templates.OUTCOMES)
def test_every_default_is_valid_and_uses_the_customer_name(outcome: str) -> None:
    body = templates.default_for(outcome)
    assert templates.validate(body) == body
    assert "first_name" in templates.placeholders_in(body)
    assert "{" not in templates.render(body, templates.SAMPLE_VALUES)


def test_an_unknown_outcome_has_no_default() -> None:
    with pytest.raises(ValidationError, match="unknown outcome"):
        templates.default_for("maybe")


def test_placeholders_are_listed_once_in_order() -> None:
    assert templates.placeholders_in("{company} {first_name} {company}") == ["company", "first_name"]
