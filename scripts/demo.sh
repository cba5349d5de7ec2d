#!/usr/bin/env bash
# The main job on an embedded default: a local registry seeded with real tag histories and real
# images' package databases, then a dry-run audit of examples/ that prints the table and the pull
# requests it would open. Does its own set-up on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
