"""The Slack manifest an admin pastes agrees with the code that answers it."""

from __future__ import annotations

import yaml

from core import slack as cs
from tests.conftest import ROOT


def test_the_manifest_declares_what_the_app_handles() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text())
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["name"]) == ("message", cs.CALLBACK_ID,
                                                                              "File as customer bug")
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/rotadesk"
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] and interactivity["message_menu_options_url"]  # the external select
    assert manifest["settings"]["socket_mode_enabled"] is False  # HTTP mode
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "users:read.email", "channels:read"} <= scopes
