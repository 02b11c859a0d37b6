#!/usr/bin/env bash
# Set up everything (idempotent) and run the main job: the demo pipeline on the bundled local sources.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/yuqing demo "$@"
