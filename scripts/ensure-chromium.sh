#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; install it (and CJK fonts) when missing.
# Never lets a tool download its own browser build.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null; then
  echo "error: /usr/bin/chromium is missing and this user cannot install Debian packages." >&2
  echo "       install them with: apt-get install chromium chromium-driver fonts-noto-cjk" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
echo "installing Debian packages: chromium chromium-driver fonts-noto-cjk"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
test -x /usr/bin/chromium || { echo "error: chromium did not install" >&2; exit 1; }
