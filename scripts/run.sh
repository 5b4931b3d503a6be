#!/usr/bin/env bash
# `make run`: every process of the Procfile under honcho, then the bootstrap admin and the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export DATA_DIR="${DATA_DIR:-$PWD/var}"
export GATEWAY_PORT="${GATEWAY_PORT:-8000}"
mkdir -p "$DATA_DIR"
honcho start -f Procfile &
HONCHO=$!
trap 'kill -TERM $HONCHO 2>/dev/null; wait $HONCHO 2>/dev/null' INT TERM EXIT
python -m scripts.seed_demo --gateway "http://127.0.0.1:${GATEWAY_PORT}" || echo "demo seeding failed (see above); the suite keeps running"
wait $HONCHO
