#!/usr/bin/env bash
# Re-make the captures in tests/data/peers/ from the Debian peers, on loopback only.
#
#   tests/data/peers/capture/capture.sh [OUTDIR]     (default: tests/data/peers)
#
# Needs: scep (scepserver, scepclient), certmonger, openssl, python3. Touches nothing outside a
# fresh temporary directory and OUTDIR; the certmonger daemon runs privately (own state directories,
# its own listening socket, no D-Bus). Every capture is new key material, so re-running changes every
# file: update tests/data/NOTES.md and any test that pins values.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(cd "$here/.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/scep-capture.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

# 1. A CA in a fresh depot, and scepserver requiring a challenge.
scepserver ca -init -depot "$work/depot" -keySize 2048 -organization "scep interop capture" >/dev/null
server_port=$(free_port)
scepserver -depot "$work/depot" -port "$server_port" -challenge s3cret -allowrenew 0 -crtvalid 30 \
  >"$work/scepserver.log" 2>&1 &
pids+=($!)

# 2. Proxies: one forwarding everything, one that hides the capabilities.
proxy_port=$(free_port)
python3 "$here/logproxy.py" "$proxy_port" "$server_port" "$work/log" &
pids+=($!)
nocaps_port=$(free_port)
CAPS= python3 "$here/logproxy.py" "$nocaps_port" "$server_port" "$work/log-nocaps" &
pids+=($!)
url=http://127.0.0.1:$proxy_port/scep
wait_http "http://127.0.0.1:$server_port/scep?operation=GetCACaps"
wait_http "$url?operation=GetCACaps"
wait_http "http://127.0.0.1:$nocaps_port/scep?operation=GetCACaps"

# 3. scepclient: enrol with the right challenge, renew, enrol with a wrong challenge.
mkdir -p "$work/client" "$work/badclient" "$work/getclient"
scepclient -server-url "$url" -private-key "$work/client/key.pem" -certificate "$work/client/cert.pem" \
  -cn capture-client -challenge s3cret -keySize 2048 >"$work/client/enroll.out" 2>&1
cp "$work/client/cert.pem" "$work/client/cert.first.pem"
scepclient -server-url "$url" -private-key "$work/client/key.pem" -certificate "$work/client/cert.pem" \
  -cn capture-client -challenge s3cret -keySize 2048 >"$work/client/renew.out" 2>&1
if scepclient -server-url "$url" -private-key "$work/badclient/key.pem" \
  -certificate "$work/badclient/cert.pem" -cn capture-bad -challenge wrong -keySize 2048 \
  >"$work/badclient/enroll.out" 2>&1; then
  echo "enrolment with a wrong challenge unexpectedly succeeded" >&2
  exit 1
fi
# Without POSTPKIOperation scepclient falls back to GET (scepserver 2.1.0 refuses that GET).
scepclient -server-url "http://127.0.0.1:$nocaps_port/scep" -private-key "$work/getclient/key.pem" \
  -certificate "$work/getclient/cert.pem" -cn capture-get -keySize 2048 \
  >"$work/getclient/enroll.out" 2>&1 || true

# 4. certmonger through a private daemon (no D-Bus: its own listening socket).
cm=$work/cm
mkdir -p "$cm"/{requests,cas,local,tmp,config}
cat >"$cm/run.sh" <<EOF
#!/bin/sh
getcert add-scep-ca -c capture -u '$url' -N '$work/depot/ca.pem'
getcert request -c capture -I capture -k '$cm/key.pem' -f '$cm/cert.pem' -N 'CN=capture-certmonger' -L s3cret -w --wait-timeout 30
getcert list -i capture > '$cm/list.out'
EOF
chmod +x "$cm/run.sh"
CERTMONGER_REQUESTS_DIR=$cm/requests CERTMONGER_CAS_DIR=$cm/cas CERTMONGER_LOCAL_CA_DIR=$cm/local \
  CERTMONGER_TMPDIR=$cm/tmp CERTMONGER_CONFIG_DIR=$cm/config CERTMONGER_SYSTEM_LOCK_FILE=$cm/lock \
  timeout 60 certmonger -L -P "$cm/sock" -n -d 2 -c "$cm/run.sh" >"$cm/daemon.out" 2>"$cm/daemon.log" || true

# 5. Pick the files. Names follow who made the message.
pick() { # pick OPERATION METHOD NTH-MATCH(1-based) SUFFIX DEST
  local f
  f=$(find "$work/log" -name "*-$1-$2.$4" | sort | sed -n "$3p")
  [ -n "$f" ] || { echo "missing capture: $*" >&2; exit 1; }
  cp "$f" "$out/$5"
}
mkdir -p "$out"
cp "$work/depot/ca.pem" "$out/micromdm-ca.pem"
openssl pkey -in "$work/depot/ca.key" -passin pass: -out "$out/micromdm-ca.key.pem"
cp "$work/client/key.pem" "$out/scepclient.key.pem"
cp "$work/client/cert.first.pem" "$out/scepclient.cert.pem"
cp "$work/badclient/key.pem" "$out/scepclient-bad.key.pem"
cp "$cm/key.pem" "$out/certmonger.key.pem"
pick GetCACaps GET 1 resp scepserver-getcacaps.txt
pick GetCACert GET 1 resp scepserver-getcacert.der
pick PKIOperation POST 1 req scepclient-pkcsreq.der
pick PKIOperation POST 1 resp scepserver-certrep-success.der
pick PKIOperation POST 2 req scepclient-renewalreq.der
pick PKIOperation POST 2 resp scepserver-certrep-success-renewal.der
pick PKIOperation POST 3 req scepclient-pkcsreq-badchallenge.der
pick PKIOperation POST 3 resp scepserver-certrep-failure.der
pick PKIOperation GET 1 req certmonger-pkcsreq.der
pick PKIOperation GET 1 target certmonger-pkcsreq.get.txt
pick PKIOperation GET 1 resp scepserver-certrep-success-certmonger.der
get_target=$(find "$work/log-nocaps" -name '*-PKIOperation-GET.target' | sort | head -n 1)
[ -n "$get_target" ] || { echo "missing capture: scepclient GET" >&2; exit 1; }
cp "$get_target" "$out/scepclient-pkcsreq.get.txt"
# certmonger builds its GetCertInitial (CertPoll) up front and keeps it in its state file.
awk '/^scep_gic=/{p=1; sub(/^scep_gic=/, "")} p{sub(/^ /, ""); print} p && /END PKCS7/{exit}' \
  "$cm"/requests/* | openssl pkcs7 -inform PEM -outform DER -out "$out/certmonger-getcertinitial.der"
cp "$work/log/log.jsonl" "$out/capture-log.jsonl"
cat "$work/log-nocaps/log.jsonl" >>"$out/capture-log.jsonl"

chmod 0644 "$out"/*.pem "$out"/*.der "$out"/*.txt "$out"/*.jsonl

echo "certmonger final state:"
grep -E 'status:|ca-error:' "$cm/list.out" || true
echo "versions: scep $(scepserver -version), $(certmonger -v 2>&1 | head -n 1), $(openssl version)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
ls -l "$out"
