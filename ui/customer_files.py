"""The customer's files on an escalation's detail: proven images previewed, every file offered for download.

Which file is an image is decided by :mod:`core.files` from the file's own first bytes, so an SVG or HTML file
is never handed to the browser as something it renders. Downloads go as ``application/octet-stream`` under a
reduced file name, and their bytes are read only when the button is pressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from core import files as fl
from core.context import human_size
from ui.deps import get_settings

PREVIEW_LIMIT = 10 * 1024 * 1024  # bigger images are only offered for download


def show_customer_files(row: Mapping[str, Any]) -> None:
    """Previews and download buttons for the kept attachments of escalation ``row`` (none: nothing shown)."""
    kept = fl.files_of(row, get_settings().attachments_dir)
    for f in kept:
        key = f"escalations.file.{row['id']}.{f.key}"
        with st.container(key=f"{key}.box"):
            st.text(f"{f.name} ({human_size(f.size)})")  # the sender's name for it, as plain text
            if f.image_type() and f.size <= PREVIEW_LIMIT:
                try:
                    st.image(f.read(), width=480)
                except Exception:  # a file that only starts like an image: offered for download alone
                    st.caption("No preview: the image could not be read.")
            st.download_button("Download", data=f.read, file_name=f.safe_name(), mime=fl.DOWNLOAD_TYPE,
                               key=f"{key}.download", on_click="ignore")
