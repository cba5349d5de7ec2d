#!/usr/bin/env bash
# The whole test suite: lint, format check, strict type check, pytest (against a real registry).
# Does its own set-up on a fresh Debian/Ubuntu machine. Extra arguments go to pytest
# (e.g. --run-slow for the long fuzz and crash variants).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff check" && ruff check .
echo "== ruff format --check" && ruff format --check .
echo "== mypy --strict bot" && mypy --strict bot
echo "== pytest" && pytest -n 2 "$@"
