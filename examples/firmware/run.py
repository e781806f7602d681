#!/usr/bin/env python3
"""Runs the firmware image under QEMU (netduinoplus2) and relays its UART to a SCEP server.

    run.py --elf IMAGE --url http://127.0.0.1:PORT/scep [--cert-out FILE] [--timeout SECONDS]
           [--clock-offset SECONDS]

The relay listens on a loopback port, starts QEMU with USART1 connected to it, and serves the
device's frames (see src/link.rs): the boot frame gets 32 random bytes and the current Unix
time (the board has no clock QEMU keeps; a real device gets the time from SNTP or its modem;
--clock-offset shifts it, to test that the device checks the issued certificate's validity
against it), log lines and measurements are printed, HTTP requests are
sent to the server with the reply relayed back, the issued certificate is written to
--cert-out. It stops QEMU when the device sends its end frame, or after --timeout seconds.

Exit status: 0 when the device reports an issued certificate, 1 for a FAILURE from the CA,
2 for an enrollment error, 3 when the heap arena ran out, 4 for a panic, 5 for a timeout, a
lost link or a relay failure (the server unreachable, for one); argparse exits 2 for bad
arguments.
"""

import argparse
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

STATUS = {0: "issued", 1: "rejected", 2: "error", 3: "out of memory", 4: "panic"}


class LinkLost(Exception):
    pass


def read_exact(conn, n, deadline):
    out = bytearray()
    while len(out) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([conn], [], [], left)
        if not ready:
            continue
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise LinkLost
        out += chunk
    return bytes(out)


def send_frame(conn, tag, payload):
    conn.sendall(tag + len(payload).to_bytes(4, "big") + payload)


def http(base, method, target, body):
    """One request to the server: (status, body). Only the server's scheme, host and port are
    taken from `base`; the device gives the path and query."""
    u = urllib.parse.urlsplit(base)
    url = f"{u.scheme}://{u.netloc}{target}"
    headers = {}
    if method == "POST":
        headers["Content-Type"] = "application/x-pki-message"
    req = urllib.request.Request(url, data=body if method == "POST" else None,
                                 method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elf", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--cert-out")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--qemu", default="qemu-system-arm")
    ap.add_argument("--clock-offset", type=int, default=0,
                    help="seconds added to the time sent to the device")
    args = ap.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    qemu_err = tempfile.TemporaryFile()
    qemu = subprocess.Popen([
        args.qemu, "-M", "netduinoplus2", "-nographic", "-monitor", "none",
        "-serial", f"tcp:127.0.0.1:{port}", "-kernel", args.elf,
    ], stdin=subprocess.DEVNULL, stderr=qemu_err)
    start = time.monotonic()
    deadline = start + args.timeout
    status = 5
    try:
        listener.settimeout(min(args.timeout, 30))
        conn, _ = listener.accept()
        listener.close()
        while True:
            tag = read_exact(conn, 1, deadline)
            length = int.from_bytes(read_exact(conn, 4, deadline), "big")
            payload = read_exact(conn, length, deadline)
            t = time.monotonic() - start
            if tag == b"L":
                print(f"device [{t:6.1f} s]: {payload.decode('utf-8', 'replace')}", flush=True)
            elif tag == b"M":
                name, value = payload.decode().split(" ", 1)
                print(f"measure {name} {value}", flush=True)
            elif tag == b"S":
                now = int(time.time()) + args.clock_offset
                send_frame(conn, b"S", os.urandom(32) + now.to_bytes(8, "big"))
            elif tag == b"Q":
                head, _, body = payload.partition(b"\n")
                method, target = head.decode().split(" ", 1)
                code, reply = http(args.url, method, target, body)
                op = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get(
                    "operation", ["?"])[0]
                size = len(body) if method == "POST" else len(target)
                print(f"relay  [{t:6.1f} s]: {method} {op} ({size} bytes) -> "
                      f"HTTP {code} ({len(reply)} bytes)", flush=True)
                send_frame(conn, b"R", code.to_bytes(2, "big") + reply)
            elif tag == b"C":
                if args.cert_out:
                    with open(args.cert_out, "wb") as f:
                        f.write(payload)
                print(f"relay  [{t:6.1f} s]: certificate of {len(payload)} bytes", flush=True)
            elif tag == b"X":
                status = payload[0] if payload else 2
                print(f"relay  [{t:6.1f} s]: device finished: {STATUS.get(status, status)}",
                      flush=True)
                break
            else:
                print(f"relay: unknown frame {tag!r} of {length} bytes", file=sys.stderr)
    except (TimeoutError, socket.timeout):
        print(f"relay: no end frame within {args.timeout:.0f} s", file=sys.stderr)
        status = 5
    except (LinkLost, ConnectionResetError, BrokenPipeError):
        print("relay: the emulator closed the link", file=sys.stderr)
        status = 5
    except Exception as e:  # the server unreachable, a malformed frame: never a device status
        print(f"relay: {type(e).__name__}: {e}", file=sys.stderr)
        status = 5
    finally:
        qemu.terminate()
        try:
            qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()
        if status == 5:
            qemu_err.seek(0)
            sys.stderr.write(qemu_err.read().decode("utf-8", "replace"))
    return status


if __name__ == "__main__":
    sys.exit(main())
