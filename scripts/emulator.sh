#!/usr/bin/env bash
# Start or stop a local AWS emulator (moto server) on a free loopback port.
#   scripts/emulator.sh start <state-dir>   # writes <state-dir>/moto.pid and moto.url
#   scripts/emulator.sh stop  <state-dir>
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?usage: emulator.sh start|stop <state-dir>}
state=${2:?usage: emulator.sh start|stop <state-dir>}
mkdir -p "$state"

case "$cmd" in
start)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$state/moto.log" 2>&1 &
  echo $! >"$state/moto.pid"
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('$url/moto-api/data.json', timeout=1)" 2>/dev/null; then
      echo "$url" >"$state/moto.url"
      echo "emulator: moto server at $url (pid $(cat "$state/moto.pid"))" >&2
      exit 0
    fi
    if ! kill -0 "$(cat "$state/moto.pid")" 2>/dev/null; then
      echo "emulator: moto server exited; see $state/moto.log" >&2
      cat "$state/moto.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "emulator: moto server did not answer on $url within 30 s" >&2
  kill "$(cat "$state/moto.pid")" 2>/dev/null || true
  exit 1
  ;;
stop)
  if [[ -f "$state/moto.pid" ]]; then
    pid=$(cat "$state/moto.pid")
    kill "$pid" 2>/dev/null || true
    # Not our child when started by another invocation of this script: poll, don't wait.
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/moto.pid" "$state/moto.url"
    echo "emulator: stopped (pid $pid)" >&2
  fi
  ;;
*)
  echo "usage: emulator.sh start|stop <state-dir>" >&2
  exit 2
  ;;
esac
