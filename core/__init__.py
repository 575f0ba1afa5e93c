"""Rotadesk's core: pure domain functions, the store, settings and API clients. Never imports streamlit."""
