#!/usr/bin/env python3
"""Logging HTTP reverse proxy for watching SCEP peers talk to micromdm's scepserver.

Listens on 127.0.0.1:LISTEN_PORT only and forwards every request unchanged to
127.0.0.1:UPSTREAM_PORT. Each exchange is appended to OUTDIR/log.jsonl and the bodies are kept as
OUTDIR/NNN-<operation>-<method>.req / .resp. For PKIOperation the .req file holds the pkiMessage
itself (the POST body, or the GET `message` parameter decoded from base64 or base64url), and the
raw GET request target is kept in NNN-PKIOperation-GET.target.

Environment:
  CAPS   if set, GetCACaps is answered here with this text ("\\n" separates lines) instead of
         being forwarded; CAPS= (empty) imitates a server without capabilities.

usage: logproxy.py LISTEN_PORT UPSTREAM_PORT OUTDIR
"""
import base64
import http.client
import http.server
import json
import os
import sys
import time
import urllib.parse

LISTEN, UPSTREAM, OUT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
CAPS = os.environ.get("CAPS")
os.makedirs(OUT, exist_ok=True)
COUNTER = [0]
HOP_BY_HOP = ("connection", "transfer-encoding", "content-length", "date", "host")


def decode_message(query):
    raw = ""
    for part in query.split("&"):
        if part.startswith("message="):
            raw = urllib.parse.unquote(part[len("message="):])
    if "-" in raw or "_" in raw:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), "base64url"
    return base64.b64decode(raw), "base64"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        COUNTER[0] += 1
        n = COUNTER[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        op = (query.get("operation") or ["none"])[0]
        stem = os.path.join(OUT, f"{n:03d}-{op}-{self.command}")
        note = ""
        saved = body
        if op == "PKIOperation" and self.command == "GET":
            with open(stem + ".target", "w") as f:
                f.write(self.path + "\n")
            try:
                saved, note = decode_message(url.query)
            except ValueError as e:
                note = f"undecodable message: {e}"
        if op == "GetCACaps" and CAPS is not None:
            status = 200
            headers = [("Content-Type", "text/plain")]
            reply = CAPS.replace("\\n", "\n").encode()
            note = "capabilities answered by the proxy"
        else:
            conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
            fwd = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body or None, headers=fwd)
            resp = conn.getresponse()
            status, headers, reply = resp.status, resp.getheaders(), resp.read()
        record = {
            "n": n,
            "time": round(time.time(), 3),
            "method": self.command,
            "target": self.path if len(self.path) < 120 else self.path[:120] + "...",
            "request_headers": dict(self.headers.items()),
            "request_body_len": len(body),
            "status": status,
            "response_headers": dict(headers),
            "response_len": len(reply),
            "note": note,
        }
        with open(os.path.join(OUT, "log.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        with open(stem + ".req", "wb") as f:
            f.write(saved if op == "PKIOperation" else self.path.encode())
        with open(stem + ".resp", "wb") as f:
            f.write(reply)
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = handle_one
    do_POST = handle_one

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
