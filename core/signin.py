"""Streamlit's sign-in configuration, built from Rotadesk's settings.

Streamlit reads its OpenID Connect settings from the ``[auth]`` table of a secrets file. Rotadesk's settings
stay the one source: the launcher (``python -m ui.serve``) renders that table with :func:`secrets_toml` into a
private file for the life of the dashboard process and points ``--secrets.files`` at it.
"""

from __future__ import annotations

import json

from core.settings import Settings


def auth_section(settings: Settings) -> dict[str, str]:
    """The ``[auth]`` table Streamlit's ``st.login()`` reads (one unnamed provider; Streamlit asks for the
    ``openid email profile`` scopes and checks state, nonce, issuer and signature through Authlib)."""
    return {
        "redirect_uri": settings.redirect_uri,
        "cookie_secret": settings.cookie_secret,
        "client_id": settings.oidc_client_id,
        "client_secret": settings.oidc_client_secret,
        "server_metadata_url": settings.oidc_metadata_url,
    }


def secrets_toml(settings: Settings) -> str:
    """``auth_section`` as TOML. JSON string escapes are valid TOML basic-string escapes (with non-ASCII kept
    as is, so no surrogate pairs appear)."""
    lines = ["[auth]"]
    lines.extend(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in auth_section(settings).items())
    return "\n".join(lines) + "\n"
