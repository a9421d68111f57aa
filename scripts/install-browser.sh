#!/usr/bin/env bash
# Debian's Chromium and its driver, for the app's browser test (tests/ui/test_browser.py).
# Playwright drives this binary (/usr/bin/chromium); it never downloads a browser of its own.
# Safe to run again; does nothing when Chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
echo "install-browser: $(/usr/bin/chromium --version)" >&2
