from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_environment() -> None:
    s = Settings.from_env({}, env_file=None)
    assert s.db == Path("data/rotadesk.db")
    assert s.imap_folder == "INBOX" and s.imap_ssl is True
    assert s.hubspot_base_url == "https://api.hubapi.com"
    assert s.linear_api_url == "https://api.linear.app/graphql"
    assert s.local_only


def test_values_are_parsed_by_type() -> None:
    s = Settings.from_env({
        "ROTADESK_DB": "/tmp/x.db", "ROTADESK_IMAP_PORT": "143", "ROTADESK_IMAP_SSL": "false",
        "ROTADESK_COMPANY_DOMAINS": " OurCo.com, @example.org ", "ROTADESK_MAX_ATTACHMENT_MB": "2.5",
        "ROTADESK_HUBSPOT_TOKEN": "t", "ROTADESK_LINEAR_API_KEY": "k",
    }, env_file=None)
    assert s.db == Path("/tmp/x.db")
    assert s.imap_port == 143 and s.imap_ssl is False
    assert s.company_domains == ("ourco.com", "example.org")
    assert s.max_attachment_bytes == int(2.5 * 1024 * 1024)
    assert not s.local_only


@pytest.mark.parametrize("name, value, fragment", [
    ("ROTADESK_IMAP_PORT", "imap", "whole number"),
    ("ROTADESK_IMAP_SSL", "maybe", "true or false"),
    ("ROTADESK_COMPANY_DOMAINS", "not a domain", "not a mail domain"),
    ("ROTADESK_TEAM_TIMEZONE", "Mars/Olympus", "unknown time zone"),
    ("ROTADESK_WEEK_START", "someday", "must be one of"),
    ("ROTADESK_HUBSPOT_BASE_URL", "api.hubapi.com", "http"),
    ("ROTADESK_HOLIDAY_COUNTRY", "XX", "unknown country"),
])
def test_a_bad_value_names_the_setting(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: value}, env_file=None)
    assert str(info.value).startswith(name + ":")
    assert fragment in str(info.value)


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ROTADESK_IMAP_HOST=imap.from-file\nROTADESK_IMAP_USER=bugs\n")
    s = Settings.from_env({"ROTADESK_IMAP_USER": "override"}, env_file=env)
    assert (s.imap_host, s.imap_user) == ("imap.from-file", "override")


def test_secrets_never_show_in_repr() -> None:
    s = Settings.from_env({"ROTADESK_HUBSPOT_TOKEN": "pat-na1-secret", "ROTADESK_IMAP_PASSWORD": "hunter2"},
                          env_file=None)
    assert "pat-na1-secret" not in repr(s) and "hunter2" not in repr(s)


def test_bad_setting_stops_the_cli_with_one_line_and_exit_code_2() -> None:
    result = subprocess.run([sys.executable, "-m", "ingest", "replay"], cwd=ROOT, capture_output=True, text=True,
                            env={"ROTADESK_IMAP_PORT": "nope", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "rotadesk: configuration error: ROTADESK_IMAP_PORT: must be a whole number (got 'nope')"]
    assert "Traceback" not in result.stderr


def test_describe_masks_secrets_and_explains_every_setting() -> None:
    from core.settings import describe

    rows = describe(Settings.from_env({"ROTADESK_LINEAR_API_KEY": "lin_api_secret"}, env_file=None))
    by_name = {r["setting"]: r for r in rows}
    assert by_name["ROTADESK_LINEAR_API_KEY"]["value"] == "set (hidden)"
    assert by_name["ROTADESK_HUBSPOT_TOKEN"]["value"] == "not set"
    assert "lin_api_secret" not in str(rows)
    assert all(r["meaning"] for r in rows)


def test_every_setting_belongs_to_an_area_of_the_settings_page() -> None:
    # Issue 19: the configuration is grouped by area; a new setting must say where it goes.
    from core.settings import area_of

    assert [f.name for f in fields(Settings) if area_of(f.name) == "Other"] == []
