#!/usr/bin/env bash
# The CSI report's PDF is made by WeasyPrint, which needs Pango (with its
# HarfBuzz and fontconfig) from the system, and Chinese needs the Noto CJK
# fonts. Installs the Debian packages when they are missing; never downloads
# fonts at run time.
set -euo pipefail
# grep -c reads to the end: with -q, pipefail would report the writer's SIGPIPE as a failure.
have_pango() { [ "$(ldconfig -p 2>/dev/null | grep -c -e 'libpango-1.0.so' -e 'libpangoft2-1.0.so')" -ge 2 ]; }
have_cjk() { [ "$(fc-list 2>/dev/null | grep -ci 'Noto Sans CJK')" -gt 0 ]; }
if have_pango && have_cjk; then
  exit 0
fi
PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-noto-cjk"
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null; then
  echo "error: WeasyPrint's libraries or the Noto CJK fonts are missing and this user cannot install Debian packages." >&2
  echo "       install them with: apt-get install $PACKAGES" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
echo "installing Debian packages: $PACKAGES"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PACKAGES >/dev/null
have_pango || { echo "error: Pango did not install" >&2; exit 1; }
have_cjk || { echo "error: the Noto CJK fonts did not install" >&2; exit 1; }
