"""Streamlit-only helpers shared by the pages: cached resources and chart builders."""
