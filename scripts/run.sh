#!/bin/sh
# The configured deployment: the ingest worker and the dashboard, stopped together.
set -e
.venv/bin/python -m ingest run &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT INT TERM
.venv/bin/streamlit run dashboard.py --server.port "${PORT:-8501}"
