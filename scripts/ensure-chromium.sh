#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (Playwright drives the system
# browser; nothing is downloaded). Installs the `chromium` package with apt-get when we are
# root and it is missing; otherwise says clearly that the browser tests cannot run.
# VERWIJSFLOW_BROWSER_TESTS=0 turns the browser tests (and this check) off.
set -euo pipefail

CHROMIUM="${VERWIJSFLOW_CHROMIUM:-/usr/bin/chromium}"
say() { echo "ensure-chromium: $*" >&2; }

if [ "${VERWIJSFLOW_BROWSER_TESTS:-1}" = 0 ]; then
  say "browsertests uitgezet (VERWIJSFLOW_BROWSER_TESTS=0)."
  exit 0
fi
if [ -x "$CHROMIUM" ]; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "Chromium ontbreekt; installeren met apt-get (Debian-pakket chromium)..."
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
     || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
    [ -x "$CHROMIUM" ] && { say "geïnstalleerd: $CHROMIUM"; exit 0; }
  fi
  say "apt-get install chromium is mislukt."
fi
say "Chromium ($CHROMIUM) ontbreekt en kan hier niet worden geïnstalleerd: de browsertests kunnen niet draaien."
say "Installeer Debian's pakket 'chromium' (als root: apt-get install chromium), of zet VERWIJSFLOW_BROWSER_TESTS=0 om ze over te slaan."
exit 1
