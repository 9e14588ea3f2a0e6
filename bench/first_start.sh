#!/usr/bin/env bash
# The first `make run` of a fresh clone: seconds until its packages are installed (the stamp file
# appears), seconds until GET /api/health answers 200, and the size of its .venv. Each REF (a
# commit of this repository) is cloned into a new temporary folder, run, measured, stopped and
# removed; with --repeats N the refs alternate N times, so a busy spell hits them alike.
#
#   bench/first_start.sh --repeats 3 a41beef HEAD
#   PIP_NO_CACHE_DIR=1 bench/first_start.sh HEAD     # every package downloaded, none from pip's cache
#
# Needs port 8000 free (make run serves there). BENCHMARKS.md, "Install and first start".
set -euo pipefail
repeats=1
if [ "${1:-}" = "--repeats" ]; then repeats=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [--repeats N] REF..." >&2; exit 2; }
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
if curl -s -o /dev/null -m 2 http://127.0.0.1:8000/; then
  echo "something already answers on 127.0.0.1:8000" >&2
  exit 1
fi

seconds_since() { echo "$(date +%s.%N) - $1" | bc | xargs printf "%.1f"; }

for _ in $(seq "$repeats"); do
  for ref in "$@"; do
    work=$(mktemp -d /tmp/first-start-XXXXXX)
    git clone -q "$repo" "$work/repo"
    git -C "$work/repo" checkout -q "$ref"
    cd "$work/repo"
    start=$(date +%s.%N)
    setsid make run >"$work/make-run.log" 2>&1 </dev/null &
    pid=$!
    installed=""
    while [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 http://127.0.0.1:8000/api/health)" != 200 ]; do
      if [ -z "$installed" ] && compgen -G ".venv/.*-installed" >/dev/null; then
        installed=$(seconds_since "$start")
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 30 "$work/make-run.log" >&2
        exit 1
      fi
      sleep 0.5
    done
    health=$(seconds_since "$start")
    kill -- "-$pid"
    wait "$pid" 2>/dev/null || true
    packages=$(.venv/bin/python -m pip list --format freeze 2>/dev/null | wc -l)
    echo "$ref: installed ${installed}s, health 200 at ${health}s," \
      ".venv $(du -sm .venv | cut -f1) MB, $packages packages"
    cd /
    rm -rf "$work"
  done
done
