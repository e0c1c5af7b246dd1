#!/usr/bin/env bash
# Install the Debian packages Tessera needs: `system-deps.sh run` or `system-deps.sh test`.
# As root it apt-installs what is missing; otherwise it says what to install and stops.
set -euo pipefail
purpose=${1:-run}

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
command -v redis-server >/dev/null || missing+=(redis-server)
# Certificate PDFs embed these TrueType fonts (blueprints/certificates/rendering.py): Latin, Greek, Cyrillic,
# Hebrew, Arabic; Chinese and Japanese; Korean.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf ] || missing+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || missing+=(fonts-droid-fallback)
[ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ] || missing+=(fonts-nanum)
if [ "$purpose" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v pg_dump >/dev/null || missing+=(postgresql-client)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromium-headless-shell >/dev/null || missing+=(chromium-headless-shell)  # the tests' browser
  command -v runuser >/dev/null || missing+=(util-linux)
  command -v wrk >/dev/null || missing+=(wrk)  # make bench: the request path over HTTP (scripts/bench_http_path.py)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Tessera needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts packaged services on install; we run our own, on our own ports and directories.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now redis-server postgresql >/dev/null 2>&1 || true
fi
service redis-server stop >/dev/null 2>&1 || true
