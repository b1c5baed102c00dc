#!/usr/bin/env bash
# Set-up and task runner behind ./run (see README.md). Idempotent: a second run is fast.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

# Debian/Ubuntu packages Qt needs at run time (xcb platform, fonts, sound: libpulse0 has the
# libpulse-simple the notification sound plays through), Xvfb for screenshots, a PulseAudio
# daemon and its tools for the sound's tests (a null sink, recorded), PostgreSQL and HAProxy
# for the scale tests, binutils for PyInstaller (strip, objdump).
SYSTEM_PACKAGES=(
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libpulse0
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0
  libxcb-xkb1 libx11-xcb1 fonts-dejavu-core fonts-noto-color-emoji xvfb xauth
  pulseaudio pulseaudio-utils postgresql haproxy wrk binutils
)

log() { printf '\033[1m[convos]\033[0m %s\n' "$*" >&2; }

install_system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { log "not a Debian system: install the Qt xcb libraries and PostgreSQL yourself"; return 0; }
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pick_python() {
  # Python 3.12+ is preferred: PySide6 6.12.0 aborts on 3.11 (pyproject pins 3.11 below it).
  local c
  for c in python3.13 python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 \
           "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 python3 python3.11; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
       && "$c" -c 'import venv, sqlite3' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  log "Python 3.11+ (3.12+ preferred) not found"; return 1
}

setup_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    local py; py="$(pick_python)"
    log "creating .venv with $("$py" --version 2>&1)"
    "$py" -m venv "$VENV"
  fi
  local stamp="$VENV/.convos-installed" want
  want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing Python packages into .venv"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[dev]"
    echo "$want" > "$stamp"
  fi
}

setup() { install_system_packages; setup_venv; }

start_postgres() {
  # A throwaway cluster in a temp folder on a free port, trust auth on loopback only.
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$bindir" ] || { log "PostgreSQL not installed: postgres tests will be skipped"; return 0; }
  PG_DIR="$(mktemp -d /tmp/convos-pg.XXXXXX)"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; as=(runuser -u postgres --); fi
  PG_PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "${as[@]}" "$bindir/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
  "${as[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  "${as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres convos_test
  export CONVOS_TEST_PG_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/convos_test"
  PG_STOP=("${as[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  trap 'stop_postgres' EXIT
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; fi
}

run_tests() {
  export QT_QPA_PLATFORM=offscreen
  log "ruff"; "$VENV/bin/ruff" check .
  log "ruff format"; "$VENV/bin/ruff" format --check .
  log "mypy"; "$VENV/bin/mypy"
  start_postgres
  log "pytest"
  "$VENV/bin/python" -m pytest "$@"
}

cmd="${1:-demo}"; shift || true
case "$cmd" in
  setup) setup ;;
  demo) setup; exec "$VENV/bin/convos-desktop" --demo "$@" ;;
  server) setup; exec "$VENV/bin/convos-server" "$@" ;;
  test) setup; run_tests "$@" ;;
  *) echo "usage: ./run demo|test|server|setup [args]" >&2; exit 2 ;;
esac
