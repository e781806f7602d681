#!/usr/bin/env bash
# Load benchmark: N enrollments with K in flight (cli/benches/load.rs, the library's client)
# against `scep serve` with the default provider, `scep serve --provider aws-lc`, and
# micromdm's `scepserver` (Debian `scep`) on this machine, in one run. Prints enrollments/s and
# p50/p99 latency for each, the RSA bound of the default provider, and a last line
# `ratio=<ours (aws-lc, K in flight) / micromdm (K=1: its depot fails with more)>` on
# throughput.
#
#   bash benches/load.sh [N] [K]          (default 1000 8)
#   MEMORY=1 bash benches/load.sh         also: resident size of `scep serve` after 100 and
#                                         after 10,000 enrollments
#
# Builds in release (the native provider compiles AWS-LC: minutes the first time). Loopback
# only. A benchmark, never a test: nothing here asserts.
set -euo pipefail

n=${1:-1000}
k=${2:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
features=aws-lc-rs,insecure-legacy

cargo build --release -q -p scep-cli --features "$features" --bins --benches
scep=target/release/scep
load() { cargo bench -q -p scep-cli --features "$features" --bench load -- "$@"; }

tmp=$(mktemp -d /tmp/scep-load.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # wait_http URL
  local i
  for i in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1?operation=GetCACaps" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# run NAME URL [ARGS...]: one load run; prints "NAME ..." and sets $per_s.
run() {
  local name=$1 url=$2 line
  shift 2
  line=$(load "$url" -n "$n" "$@" | tail -1)
  per_s=$(sed -n 's/.*per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  printf '%-28s %s\n' "$name" "$line"
}

serve() { # serve NAME PROVIDER: starts scep serve, sets $url and $pid
  local port
  port=$(free_port)
  "$scep" serve --addr "127.0.0.1:$port" --state "$tmp/$1" --provider "$2" \
    >"$tmp/$1.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  url="http://127.0.0.1:$port/scep"
  wait_http "$url"
}

echo "load: N=$n enrollments, K=$k in flight, $(nproc) cores; client and server on one machine"
rsa=$(load --rsa-rate | sed -n 's/.*=\([0-9.]*\)/\1/p')
echo "RSA-2048 private operations/s (rustcrypto alone): $rsa; a scep serve enrollment is 3 (decrypt, sign certificate, sign reply); the load client's 3 (CSR, request, decrypt reply) run on aws-lc"

serve rustcrypto rustcrypto
run "scep serve (rustcrypto)" "$url" -k "$k"
ours_default=$per_s
kill "$pid"

serve awslc aws-lc
run "scep serve (aws-lc)" "$url" -k "$k"
ours_awslc=$per_s
run "scep serve (aws-lc), K=1" "$url" -k 1
ours_awslc_1=$per_s
if [ "${MEMORY:-0}" = 1 ]; then
  load "$url" -n 100 -k "$k" >/dev/null
  before=$(rss_kib "$pid")
  load "$url" -n 10000 -k "$k" >/dev/null
  after=$(rss_kib "$pid")
  echo "scep serve resident size: $before KiB after 100 more enrollments, $after KiB after 10,000 more"
fi
kill "$pid"

port=$(free_port)
scepserver ca -init -depot "$tmp/depot" -keySize 2048 -organization "scep load" >/dev/null 2>&1
scepserver -depot "$tmp/depot" -port "$port" >"$tmp/micromdm.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$port/scep"
# micromdm's file depot takes one enrollment at a time: with several in flight it hands out
# an empty serial ("could not convert  to serial number", FAILURE badRequest) and its process
# exits. So it runs with K=1, its best.
run "micromdm scepserver, K=1" "http://127.0.0.1:$port/scep" -k 1 --legacy
theirs=$per_s

awk -v r="$rsa" -v d="$ours_default" -v c="$(nproc)" 'BEGIN {
  printf "default provider: %.1f enrollments/s = %.0f%% of what its RSA speed allows on these %d cores (%.1f/s = %.0f ops/s x %d cores / 3 server ops, the load client not counted)\n", d, 100 * d / (r * c / 3), c, r * c / 3, r, c }'
awk -v a="$ours_awslc" -v a1="$ours_awslc_1" -v d="$ours_default" -v m="$theirs" 'BEGIN {
  printf "ratio_default=%.2f ratio_k1=%.2f (aws-lc, both K=1)\nratio=%.2f\n", d / m, a1 / m, a / m }'
