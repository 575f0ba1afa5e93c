#!/bin/sh
# Build the container image and check it where a container engine runs (docker or podman):
# it runs as user 10001, and a demo database inside it passes `python -m ingest health`.
set -e
cd "$(dirname "$0")/.."
engine=$(command -v docker || command -v podman) || { echo "needs docker or podman" >&2; exit 2; }
tag=rotadesk:check
"$engine" build -t "$tag" .
[ "$("$engine" run --rm "$tag" id -u)" = 10001 ] || { echo "the image must run as user 10001" >&2; exit 1; }
"$engine" run --rm "$tag" sh -c "python -m ingest demo --db data/rotadesk.db >/dev/null && python -m ingest health"
