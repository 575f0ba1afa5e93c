"""Messages that survive ``st.rerun()``: an action stores one, the next run of the page shows it once."""

from __future__ import annotations

import streamlit as st


def flash(page: str, message: str, kind: str = "success") -> None:
    """Keep ``message`` for the next run of ``page``."""
    st.session_state.setdefault(_key(page), []).append((kind, message))


def show_flashes(page: str) -> None:
    """Show and forget what the last action on ``page`` left."""
    for kind, message in st.session_state.pop(_key(page), []):
        (st.warning if kind == "warning" else st.success)(message)


def _key(page: str) -> str:
    return f"{page}.flash"
