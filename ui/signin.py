"""The sign-in gate every page passes through (via ``ui.deps.settings_or_stop``), and who is acting.

Signed out, a page shows only the sign-in button; signed in but not on the allow-list, a refusal and nothing
else. Without sign-in settings the dashboard is bound to localhost and every page says so.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from core.access import LOCAL, Person, person_for
from core.errors import AccessDenied
from core.settings import Settings

OPEN_NOTICE = (":orange-badge[:material/lock_open: Open to anyone on this machine] No sign-in is configured, so "
               "the dashboard listens on localhost only; set the `ROTADESK_OIDC_*` settings to let a team sign in.")
NOT_HANDED_OVER = ("Sign-in is configured, but Streamlit was not given it: start the dashboard with "
                   "`python -m ui.serve` (what `make run` does), not `streamlit run`.")
REFUSAL = ("This account may not use Rotadesk. Ask whoever runs it to add your address or domain to "
           "`ROTADESK_SIGNIN_ALLOW`, or sign out and use another account.")


def gate(settings: Settings) -> Person:
    """The person using the page, or a stop after the sign-in button or the refusal."""
    if not settings.signin_enabled:
        st.markdown(OPEN_NOTICE)  # markdown, not st.warning: pages keep their own warnings
        return LOCAL
    if not st.user.is_logged_in:
        if not _streamlit_has_auth():
            st.error(NOT_HANDED_OVER)
            st.stop()
        st.title("Rotadesk")
        st.caption("Sign in with your company account to see the rotation and the escalations.")
        st.button("Sign in", key="signin.login", type="primary", on_click=st.login, icon=":material/login:")
        st.stop()
    person = person_for(st.user.to_dict(), settings.allow_list)
    if person is None:
        st.error(REFUSAL, icon=":material/block:")
        email = st.user.to_dict().get("email")
        st.text(f"Signed in as {email}" if isinstance(email, str) else "The provider gave no e-mail address.")
        st.button("Sign out", key="signin.logout", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.text(f"Signed in as {person.label}, {person.role}")  # text: the name comes from the provider
        st.button("Sign out", key="signin.logout", on_click=st.logout, icon=":material/logout:")
    return person


def _streamlit_has_auth() -> bool:
    """Whether Streamlit holds an ``[auth]`` table (the launcher hands it over); without one, st.login fails."""
    try:
        return bool(st.secrets.get("auth"))
    except StreamlitSecretNotFoundError:
        return False


def current_person(settings: Settings) -> Person:
    """Who is acting on this run; pages pass it to every action. Only valid after :func:`gate` let them in."""
    if not settings.signin_enabled:
        return LOCAL
    person = person_for(st.user.to_dict(), settings.allow_list) if st.user.is_logged_in else None
    if person is None:
        raise AccessDenied("Sign in first.")
    return person


def may_enter(settings: Settings) -> bool:
    """Whether the navigation may show: signed in and allowed, or no sign-in configured."""
    if not settings.signin_enabled:
        return True
    return bool(st.user.is_logged_in) and person_for(st.user.to_dict(), settings.allow_list) is not None
