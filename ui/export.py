"""A chart with its PNG and SVG downloads beside it; the files are drawn only when a button is clicked."""

from __future__ import annotations

from functools import partial

import altair as alt
import streamlit as st

from core import export


def chart_title(chart: alt.Chart) -> str:
    title = chart.to_dict().get("title") or "chart"
    return title if isinstance(title, str) else str(title.get("text", "chart"))


def show_chart(chart: alt.Chart, key: str, where=st) -> None:
    """Draw ``chart`` in ``where`` (the page or a column) with "PNG" and "SVG" download buttons under it."""
    where.altair_chart(chart, key=key)
    spec, stem = chart.to_dict(), export.file_stem(chart_title(chart))
    row = where.container(horizontal=True)
    row.download_button("PNG", partial(export.chart_png, spec), file_name=f"{stem}.png", mime="image/png",
                        key=f"{key}.png", on_click="ignore", icon=":material/image:")
    row.download_button("SVG", partial(export.chart_svg, spec), file_name=f"{stem}.svg", mime="image/svg+xml",
                        key=f"{key}.svg", on_click="ignore", icon=":material/draw:")
