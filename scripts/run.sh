#!/bin/sh
# The configured deployment: the ingest worker and the dashboard, stopped together.
set -e
.venv/bin/python -m ingest run &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT INT TERM
# ui.serve binds to localhost without sign-in settings and hands Streamlit its sign-in secrets with them.
.venv/bin/python -m ui.serve --port "${PORT:-8501}"
