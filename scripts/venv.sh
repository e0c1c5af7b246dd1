#!/usr/bin/env bash
# Create .venv and install a requirements file into it, only when that file changed.
set -euo pipefail
requirements=${1:-requirements.txt}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=".venv/.installed-$(cat "$requirements" requirements.txt | sha256sum | cut -c1-16)-$(basename "$requirements")"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q -r "$requirements"
  if [ "$requirements" = requirements-dev.txt ] && [ -f requirements-nodeps.txt ]; then
    .venv/bin/pip install -q --no-deps -r requirements-nodeps.txt  # see the file: a pin conflict, not a need
  fi
  touch "$stamp"
fi
