#!/usr/bin/env bash
# Installs Debian's Tesseract OCR with English, French, Spanish, Russian, Ukrainian and Arabic data, when missing.
# Without it, ingest still runs: it names the scanned pages it skipped (docs/ingest.md, "Scanned pages").
set -euo pipefail
LANGS=(eng fra spa rus ukr ara)
have_all() {
  command -v tesseract >/dev/null || return 1
  local installed
  installed="$(tesseract --list-langs 2>/dev/null)" || return 1
  for lang in "${LANGS[@]}"; do
    grep -qx "$lang" <<<"$installed" || return 1
  done
}
if have_all; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "install-ocr: tesseract or its language data missing and not root; scanned pages will be skipped at ingest" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
PACKAGES=(tesseract-ocr)
for lang in "${LANGS[@]}"; do
  PACKAGES+=("tesseract-ocr-$lang")
done
export DEBIAN_FRONTEND=noninteractive
# `make test` runs this script and then install-browser.sh: one `apt-get update` (a fresh InRelease) serves both.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*InRelease' -mmin -60 -print -quit 2>/dev/null)" ]; then
  $SUDO apt-get update -qq >/dev/null
fi
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
