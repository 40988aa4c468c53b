#!/usr/bin/env bash
# Installs what DocChat needs outside Python, only when missing: Tesseract OCR with English (scans and images),
# and for the tests Chromium (browser tests), Azurite (Blob tests). `system-deps.sh ocr`: only what `make run` needs.
set -euo pipefail
need_apt=()
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr)
tesseract --list-langs 2>/dev/null | grep -qx eng || need_apt+=(tesseract-ocr-eng)
if [ "${1:-all}" != ocr ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
  command -v groff >/dev/null 2>&1 || need_apt+=(groff-base)  # renders man pages for the retrieval benchmark
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing system packages: ${need_apt[*]} (install them with sudo apt-get install; the tests that need them will say so)" >&2
  fi
fi
[ "${1:-all}" = ocr ] && exit 0
tools=.tools
if [ ! -x "$tools/node_modules/.bin/azurite" ] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" azurite@3.35.0 >/dev/null
fi
