#!/usr/bin/env bash
# Installs what the tests need outside Python, only when missing: Chromium (browser tests), Azurite (Blob tests).
set -euo pipefail
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v groff >/dev/null 2>&1 || need_apt+=(groff-base)  # renders man pages for the retrieval benchmark
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing system packages: ${need_apt[*]} (install them with apt-get; the tests that need them will say so)" >&2
  fi
fi
tools=.tools
if [ ! -x "$tools/node_modules/.bin/azurite" ] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" azurite@3.35.0 >/dev/null
fi
