"""Roles, the allow-list and the sign-in settings (issue 11)."""

from __future__ import annotations

import tomllib

import pytest

from core.access import ACTIONS, LOCAL, ROLES, WORKER, Person, parse_allow_list, person_for, require
from core.errors import AccessDenied, ConfigError
from core.settings import Settings, describe
from core.signin import auth_section, secrets_toml

ALLOW = "@ourco.com=member, lead@ourco.com=admin, auditor@firm.example, intern@ourco.com=viewer"
SIGNIN = {
    "ROTADESK_OIDC_METADATA_URL": "https://login.example/.well-known/openid-configuration",
    "ROTADESK_OIDC_CLIENT_ID": "rotadesk", "ROTADESK_OIDC_CLIENT_SECRET": "client-secret-value",
    "ROTADESK_COOKIE_SECRET": "c" * 40, "ROTADESK_SIGNIN_ALLOW": ALLOW,
    "ROTADESK_PUBLIC_URL": "https://rotadesk.ourco.com/",
}


@pytest.mark.parametrize("email, role", [
    ("lead@ourco.com", "admin"),            # the address entry wins over its domain's
    ("LEAD@OurCo.com", "admin"),            # addresses compare case-insensitively
    ("sam@ourco.com", "member"),
    ("intern@ourco.com", "viewer"),         # an address can also lower a domain's role
    ("auditor@firm.example", "viewer"),     # no role given: the least one
    ("other@firm.example", None),
    ("sam@eng.ourco.com", None),            # a domain admits exactly itself, not subdomains
    ("sam@ourco.com.evil.example", None),
    ("ourco.com", None),
    ("@ourco.com", None),
    ("", None),
    (None, None),
])
def test_the_allow_list_gives_each_address_its_role(email, role) -> None:
    assert parse_allow_list(ALLOW).role_for(email) == role


@pytest.mark.parametrize("raw, fragment", [
    ("sam@ourco.com=owner", "role must be one of"),
    ("@localhost", "not a mail domain"),
    ("just-a-name", "e-mail address or @domain"),
    ("sam @ourco.com", "e-mail address or @domain"),
])
def test_a_bad_allow_list_entry_is_named(raw, fragment) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_allow_list(raw)


def test_empty_entries_are_skipped_and_an_empty_list_admits_nobody() -> None:
    allow = parse_allow_list(" , ,")
    assert not allow and allow.role_for("sam@ourco.com") is None


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_role_may_take_exactly_the_actions_at_or_below_it(action) -> None:
    needed = ROLES.index(ACTIONS[action])
    for index, role in enumerate(ROLES):
        person = Person("p@ourco.com", "P", role)
        assert person.can(action) is (index >= needed)
        if index < needed:
            with pytest.raises(AccessDenied, match=f"needs the {ACTIONS[action]} role"):
                require(person, action)
        else:
            require(person, action)


def test_the_roles_split_as_the_issue_says() -> None:
    viewer, member = Person("v@x.io", "V", "viewer"), Person("m@x.io", "M", "member")
    assert not any(viewer.can(a) for a in ACTIONS)
    assert member.can("message.accept") and member.can("reply.send") and member.can("rotation.swap")
    assert not member.can("roster.edit") and not member.can("template.edit") and not member.can("audit.read")
    assert LOCAL.can("roster.edit") and WORKER.role == "admin"


def test_identity_claims_become_a_person_only_when_allowed_and_verified() -> None:
    allow = parse_allow_list(ALLOW)
    assert person_for({"email": "Sam@OurCo.com", "name": "Sam Support"}, allow) == \
        Person("sam@ourco.com", "Sam Support", "member")
    assert person_for({"email": "lead@ourco.com"}, allow) == Person("lead@ourco.com", "lead@ourco.com", "admin")
    assert person_for({"email": "lead@ourco.com", "email_verified": False}, allow) is None
    assert person_for({"email": "lead@ourco.com", "email_verified": True}, allow) is not None
    assert person_for({"email": "stranger@else.example"}, allow) is None
    assert person_for({"name": "No Address"}, allow) is None
    assert person_for({"email": ["lead@ourco.com"]}, allow) is None


def test_without_sign_in_settings_the_dashboard_is_local() -> None:
    s = Settings.from_env({}, env_file=None)
    assert not s.signin_enabled and s.dashboard_address == "127.0.0.1"


def test_sign_in_settings_open_the_dashboard_to_the_network_and_build_streamlits_auth_table() -> None:
    s = Settings.from_env(SIGNIN, env_file=None)
    assert s.signin_enabled and s.dashboard_address == "0.0.0.0"
    assert s.allow_list.role_for("lead@ourco.com") == "admin"
    parsed = tomllib.loads(secrets_toml(s))
    assert parsed["auth"] == auth_section(s)
    assert parsed["auth"]["redirect_uri"] == "https://rotadesk.ourco.com/oauth2callback"
    assert parsed["auth"]["server_metadata_url"] == SIGNIN["ROTADESK_OIDC_METADATA_URL"]
    assert parsed["auth"]["client_secret"] == "client-secret-value"


def test_secrets_with_quotes_and_unicode_survive_the_toml() -> None:
    s = Settings.from_env({**SIGNIN, "ROTADESK_OIDC_CLIENT_SECRET": 'a"b\\c\u00e9\U0001f511\x01'}, env_file=None)
    assert tomllib.loads(secrets_toml(s))["auth"]["client_secret"] == 'a"b\\c\u00e9\U0001f511\x01'


@pytest.mark.parametrize("change, setting, fragment", [
    ({"ROTADESK_OIDC_CLIENT_SECRET": ""}, "ROTADESK_OIDC_CLIENT_SECRET", "sign-in needs it too"),
    ({"ROTADESK_SIGNIN_ALLOW": ""}, "ROTADESK_SIGNIN_ALLOW", "sign-in needs it too"),
    ({"ROTADESK_COOKIE_SECRET": "short"}, "ROTADESK_COOKIE_SECRET", "at least 32"),
    ({"ROTADESK_OIDC_METADATA_URL": "login.example"}, "ROTADESK_OIDC_METADATA_URL", "http"),
    ({"ROTADESK_SIGNIN_ALLOW": "sam@ourco.com=root"}, "ROTADESK_SIGNIN_ALLOW", "role must be one of"),
    ({"ROTADESK_SIGNIN_ALLOW": ", ,"}, "ROTADESK_SIGNIN_ALLOW", "names nobody"),
])
def test_incomplete_or_bad_sign_in_settings_stop_start_up(change, setting, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        Settings.from_env({**SIGNIN, **change}, env_file=None)
    assert caught.value.setting == setting


def test_one_sign_in_setting_alone_is_an_error_not_a_silent_open_dashboard() -> None:
    with pytest.raises(ConfigError, match="sign-in needs it too"):
        Settings.from_env({"ROTADESK_SIGNIN_ALLOW": "@ourco.com"}, env_file=None)


def test_the_sign_in_secrets_never_show() -> None:
    s = Settings.from_env(SIGNIN, env_file=None)
    shown = repr(s) + str(describe(s))
    assert "client-secret-value" not in shown and "c" * 40 not in shown
    assert "rotadesk" in shown  # the client id is not a secret
