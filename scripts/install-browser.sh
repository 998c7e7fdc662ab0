#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the browser tests, when they are missing.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "install-browser: chromium/chromedriver missing and not root; browser tests will be skipped" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# `make test` runs install-ocr.sh and then this script: one `apt-get update` (a fresh InRelease) serves both.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*InRelease' -mmin -60 -print -quit 2>/dev/null)" ]; then
  $SUDO apt-get update -qq >/dev/null
fi
$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
