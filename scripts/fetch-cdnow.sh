#!/usr/bin/env bash
# Fetch the CDNOW sample (2,357 customers; Fader & Hardie's CDNOW data as shipped
# inside the `lifetimes` wheel on PyPI) into var/datasets/ at set-up time, so that
# the analytics tests never touch the network. Idempotent: skips when present.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=var/datasets/CDNOW_sample.txt
VERSION=0.11.3   # the last lifetimes release; its wheel has lifetimes/datasets/CDNOW_sample.txt
if [[ -s "$DEST" ]]; then
    exit 0
fi
PY=python3
[[ -x .venv/bin/python ]] && PY=.venv/bin/python
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m pip download -q --no-deps --only-binary=:all: "lifetimes==$VERSION" -d "$TMP"
WHEEL=$(ls "$TMP"/[Ll]ifetimes-"$VERSION"-*.whl)
mkdir -p var/datasets
"$PY" - "$WHEEL" "$DEST" <<'PYEOF'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as zf:
    data = zf.read("lifetimes/datasets/CDNOW_sample.txt")
tmp = dest + ".part"
with open(tmp, "wb") as fh:
    fh.write(data)
import os
os.replace(tmp, dest)
print(f"fetch-cdnow: wrote {dest} ({len(data)} bytes)")
PYEOF
