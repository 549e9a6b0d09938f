#!/usr/bin/env bash
# Make sure Debian's Chromium and its matching ChromeDriver are installed for the browser tests.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ERROR: the browser tests need Debian's chromium and chromium-driver packages (apt-get install chromium chromium-driver)." >&2
  exit 1
fi
echo "installing Debian's chromium and chromium-driver for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null
apt-get install -y -qq chromium chromium-driver </dev/null >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
