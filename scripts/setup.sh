#!/usr/bin/env bash
# Shared set-up for the README's two commands: docker-registry from apt when missing, a virtualenv
# in .venv with the bot and its test tools installed. Safe to run again; does little the second time.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/docker-registry ]; then
  echo "setup: installing docker-registry (CNCF Distribution) with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-registry >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing base-image-bot and its test tools into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
