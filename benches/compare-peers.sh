#!/usr/bin/env bash
# Compares the scep crate with micromdm/scep (Go) on this machine, in one run, and prints one
# line per operation ending in `ratio=<ours/micromdm>` (below 1 means we are faster).
#
# Every time is wall-clock and the best of several: for ours the fastest criterion sample
# (time per iteration, from target/criterion/*/new/sample.json), for Go the fastest of
# `-count 3` runs, for OpenSSL the fastest of three `openssl speed -elapsed` runs (without
# `-elapsed` it divides by CPU time, which flatters it on a loaded machine). The machines these
# run on are shared, and the fastest sample is the one least disturbed by the other load;
# `SCEP_BENCH_STAT=median` uses criterion's median and Go's and OpenSSL's mean instead.
#
#   benches/compare-peers.sh              both providers (builds aws-lc-rs, a few minutes once)
#   SCEP_BENCH_NATIVE=0 benches/compare-peers.sh   the default provider only
#
# What runs:
# - our criterion benches `envelope` (RSA flows and the RSA operations alone, per provider),
#   `decode` (decode-only, GetCACaps, HTTP GET) and `overhead` (the flows with a null RSA
#   provider: the library's own work), and the `allocs ...` lines the benches print
#   (allocations through Rust's global allocator: AWS-LC's own C mallocs are not seen);
# - benches/go: the same steps with micromdm's library (Debian's golang-github-micromdm-scep-dev,
#   built offline in GOPATH mode), with Go's RSA alone, `-benchmem` for allocations;
# - `openssl speed rsa2048 rsa4096`: the RSA cost the native provider is held to.
#
# Columns: `rsa=` is what the operation's RSA operations cost in the same library (ours: the
# provider's rsa_* benches; micromdm: Go's crypto/rsa), `x_rsa=` the operation over that cost
# (1.00 = the library adds nothing), `openssl=` the same RSA operations at OpenSSL's speed and
# `x_openssl=` ours over that. The machine is shared: the load is printed before and after.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

gopath=/usr/share/gocode
if ! command -v go >/dev/null 2>&1 || [ ! -d "$gopath/src/github.com/micromdm/scep/scep" ]; then
  echo "installing golang-go and golang-github-micromdm-scep-dev" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get -qq update
  as_root apt-get -qq install -y --no-install-recommends golang-go golang-github-micromdm-scep-dev >/dev/null
fi
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed" >&2; exit 1; }

features=()
providers="rustcrypto"
if [ "${SCEP_BENCH_NATIVE:-1}" = 1 ]; then
  features=(--features aws-lc-rs)
  providers="rustcrypto aws-lc"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Build first, so that compiling does not overlap the measurements.
cargo bench "${features[@]}" --bench envelope --bench decode --bench overhead --no-run 2>"$work/build.txt" ||
  { cat "$work/build.txt" >&2; exit 1; }
(cd benches/go && GO111MODULE=off GOPATH=$gopath GOFLAGS= go test -c -o "$work/go.test" .)

rm -rf target/criterion
cargo bench "${features[@]}" --bench envelope --bench decode --bench overhead 2>/dev/null >"$work/rust.txt"
(cd benches/go && "$work/go.test" -test.run '^$' -test.bench . -test.benchmem -test.benchtime 1s -test.count 3) >"$work/go.txt"
for _ in 1 2 3; do
  openssl speed -elapsed -seconds 2 rsa2048 rsa4096 2>/dev/null >>"$work/openssl.txt"
done

echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

PROVIDERS="$providers" STAT="${SCEP_BENCH_STAT:-min}" python3 - "$work" <<'EOF'
import json, os, re, sys, glob

work = sys.argv[1]
providers = os.environ["PROVIDERS"].split()
best = os.environ["STAT"] != "median"
pick = min if best else (lambda xs: sum(xs) / len(xs))
print(f"# times: {'fastest sample' if best else 'median (criterion), mean (Go, OpenSSL)'}, wall-clock")

# Ours, in ns: target/criterion/<bench>/<provider>/<size>/new/{sample,estimates}.json.
ours = {}
for path in glob.glob("target/criterion/*/*/*/new/estimates.json"):
    bench, provider, size = path.split(os.sep)[2:5]
    if best:
        with open(os.path.join(os.path.dirname(path), "sample.json")) as f:
            sample = json.load(f)
        ours[(bench, provider, size)] = min(t / n for t, n in zip(sample["times"], sample["iters"]))
    else:
        with open(path) as f:
            ours[(bench, provider, size)] = json.load(f)["median"]["point_estimate"]
allocs = {}
for line in open(os.path.join(work, "rust.txt")):
    m = re.match(r"allocs (\S+)/(\S+)/(\S+) count=(\d+) bytes=(\d+)", line)
    if m:
        allocs[m.group(1, 2, 3)] = int(m.group(4))

# micromdm: ns/op and allocs/op per Benchmark<Name>[/<size>].
go_names = {
    "PkcsReqBuild": "pkcsreq_build", "PkcsReqOpen": "pkcsreq_open",
    "PkcsReqServer": "pkcsreq_server", "CertRepBuild": "certrep_build",
    "CertRepOpen": "certrep_open", "DecodePkcsReq": "decode_pkcsreq",
    "DecodeCertRep": "decode_certrep", "Caps": "caps", "HttpGet": "http_get",
    "RsaSign": "rsa_sign", "RsaVerify": "rsa_verify", "RsaEncrypt": "rsa_encrypt",
    "RsaDecrypt": "rsa_decrypt",
}
go_runs = {}
for line in open(os.path.join(work, "go.txt")):
    m = re.match(r"Benchmark(\w+?)(?:/(rsa\d+))?-\d+\s+\d+\s+([\d.]+) ns/op(?:\s+\d+ B/op\s+(\d+) allocs/op)?", line)
    if m and m.group(1) in go_names:
        key = (go_names[m.group(1)], m.group(2) or "any")
        go_runs.setdefault(key, []).append((float(m.group(3)), int(m.group(4) or 0)))
go = {k: (pick([t for t, _ in v]), v[0][1]) for k, v in go_runs.items()}

# OpenSSL: seconds per private (sign) and public (verify) operation.
openssl_runs = {}
for line in open(os.path.join(work, "openssl.txt")):
    m = re.match(r"rsa\s+(\d+) bits\s+([\d.]+)s\s+([\d.]+)s", line)
    if m:
        openssl_runs.setdefault("rsa" + m.group(1), []).append(
            (float(m.group(2)) * 1e9, float(m.group(3)) * 1e9))
openssl = {k: (pick([a for a, _ in v]), pick([b for _, b in v])) for k, v in openssl_runs.items()}

def fmt(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return f"{ns / 1e6:.3f}ms"
    return f"{ns / 1e3:.1f}us"

# RSA operations per step: (private, public), and which of ours they are.
rsa_ops = {
    "pkcsreq_build": (["rsa_sign", "rsa_encrypt"], 1, 1),
    "pkcsreq_open": (["rsa_decrypt", "rsa_verify"], 1, 1),
    "pkcsreq_server": (["rsa_decrypt", "rsa_verify", "rsa_verify", "rsa_verify"], 1, 3),
    "certrep_build": (["rsa_sign", "rsa_encrypt"], 1, 1),
    "certrep_open": (["rsa_decrypt", "rsa_verify"], 1, 1),
}

def rsa_cost(table, provider, size, ops):
    try:
        return sum(table(op, provider, size) for op in ops)
    except (KeyError, TypeError):
        return None

for size in ("rsa2048", "rsa4096"):
    print(f"## {size}: ours vs micromdm/scep")
    if size in openssl:
        priv, pub = openssl[size]
        print(f"openssl {size}: private op (sign/decrypt) {fmt(priv)}, public op (verify/encrypt) {fmt(pub)}")
    for bench, (ops, n_priv, n_pub) in rsa_ops.items():
        g = go.get((bench, size))
        g_rsa = rsa_cost(lambda op, p, s: go[(op, s)][0], None, size, ops)
        for provider in providers:
            t = ours.get((bench, provider, size))
            if t is None or g is None:
                continue
            r = rsa_cost(lambda op, p, s: ours[(op, p, s)], provider, size, ops)
            parts = [f"{bench:15} {size} {provider:10}", f"ours={fmt(t)}",
                     f"allocs={allocs.get((bench, provider, size), 'n/a')}",
                     f"rsa={fmt(r)}", f"x_rsa={t / r:.3f}" if r else "x_rsa=n/a"]
            if provider == "aws-lc" and size in openssl:
                o = n_priv * openssl[size][0] + n_pub * openssl[size][1]
                parts += [f"openssl={fmt(o)}", f"x_openssl={t / o:.3f}"]
            parts += [f"micromdm={fmt(g[0])}", f"go_allocs={g[1]}",
                      f"go_x_rsa={g[0] / g_rsa:.3f}" if g_rsa else "go_x_rsa=n/a",
                      f"ratio={t / g[0]:.3f}"]
            print(" ".join(parts))

print("## the library's own work (null RSA provider, RSA-2048 certificates) vs micromdm's non-RSA share")
for bench, (ops, _, _) in rsa_ops.items():
    t = ours.get((bench, "null", "rsa2048"))
    g = go.get((bench, "rsa2048"))
    g_rsa = rsa_cost(lambda op, p, s: go[(op, s)][0], None, "rsa2048", ops)
    if t is None or g is None or g_rsa is None:
        continue
    g_own = g[0] - g_rsa
    head = (f"{bench:15} rsa2048 null       ours={fmt(t)} allocs={allocs.get((bench, 'null', 'rsa2048'), 'n/a')} "
            f"micromdm={fmt(g[0])} go_rsa={fmt(g_rsa)} go_allocs={g[1]}")
    if g_own > 0:
        print(f"{head} micromdm_non_rsa={fmt(g_own)} ratio={t / g_own:.3f}")
    else:
        print(f"{head} micromdm_non_rsa=below-noise ratio=n/a")

print("## decoding, GetCACaps, HTTP (no RSA)")
for bench in ("decode_pkcsreq", "decode_certrep", "caps", "http_get"):
    for size in ("rsa2048", "rsa4096", "any"):
        t = ours.get((bench, "rustcrypto", size))
        g = go.get((bench, size))
        if t is None or g is None:
            continue
        print(f"{bench:15} {size:7} {'-':10} ours={fmt(t)} allocs={allocs.get((bench, 'rustcrypto', size), 'n/a')} "
              f"micromdm={fmt(g[0])} go_allocs={g[1]} ratio={t / g[0]:.3f}")
EOF
