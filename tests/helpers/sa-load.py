#!/usr/bin/env python3
"""sa-load: many concurrent clients against the daemon's control socket.

    sa-load.py SOCKET [--active N] [--idle N] [--trickle N] [--hold FILE]
               [--timeout S]

Opens --idle connections that send nothing and --trickle connections that
send '{"cmd":"status"}\\n' one byte every 20 ms, then --active connections
that each send one request (who 443, status, list in turn) and read its
reply line. Once every active client has its answer it writes FILE (when
--hold is given) and waits until FILE.go exists (so the caller can check
that a well-behaved client is still served while all of these are
connected); then it waits for the trickling clients' replies and closes
everything. Prints one JSON object: counts of ok/error/missing replies and
the active clients' latency p50/p99/max in ms. Exit 0 when every active
and trickling client got an "ok":true reply, 1 otherwise, 2 on usage.
Only AF_UNIX on this machine: it never touches the network.
"""
import argparse
import json
import os
import selectors
import socket
import sys
import time

REQUESTS = [b'{"cmd":"who","port":443}\n', b'{"cmd":"status"}\n', b'{"cmd":"list"}\n']
TRICKLE = b'{"cmd":"status"}\n'


class Conn:
    def __init__(self, path, kind, req):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.kind, self.req, self.sent, self.buf = kind, req, 0, b""
        self.reply, self.t0, self.t1 = None, None, None

    def feed(self):
        try:
            d = self.s.recv(1 << 16)
        except BlockingIOError:
            return True
        except OSError:
            d = b""
        if not d:
            return False
        self.buf += d
        if b"\n" in self.buf and self.reply is None:
            self.reply = self.buf.split(b"\n", 1)[0]
            self.t1 = time.monotonic()
        return True


def ok(c):
    try:
        return c.reply is not None and json.loads(c.reply).get("ok") is True
    except ValueError:
        return False


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, int(len(v) * p / 100))], 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--active", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=250)
    ap.add_argument("--trickle", type=int, default=250)
    ap.add_argument("--hold")
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    end = time.monotonic() + a.timeout
    sel = selectors.DefaultSelector()

    idle = [Conn(a.socket, "idle", b"") for _ in range(a.idle)]
    trickle = [Conn(a.socket, "trickle", TRICKLE) for _ in range(a.trickle)]
    active = [Conn(a.socket, "active", REQUESTS[i % 3]) for i in range(a.active)]
    for c in idle + trickle + active:
        sel.register(c.s, selectors.EVENT_READ, c)
    now = time.monotonic()
    for c in active:
        c.t0 = now
        c.s.sendall(c.req)   # < 64 bytes: fits the socket buffer at once
    next_byte = 0.0
    held = False
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_byte:
            for c in trickle:
                if c.sent < len(c.req):
                    c.s.send(c.req[c.sent:c.sent + 1])
                    c.sent += 1
                    if c.sent == len(c.req):
                        c.t0 = now
            next_byte = now + 0.02
        for key, _ in sel.select(0.01):
            c = key.data
            if not c.feed():
                sel.unregister(c.s)
        if all(c.reply is not None for c in active) and a.hold and not held:
            with open(a.hold, "w") as f:
                f.write("%d\n" % (len(idle) + len(trickle) + len(active)))
            held = True
        if held:
            if not os.path.exists(a.hold + ".go"):
                continue
        if all(c.reply is not None for c in active + trickle) and (held or not a.hold):
            break
    lat = [(c.t1 - c.t0) * 1000 for c in active if c.t1]
    res = {
        "active_ok": sum(ok(c) for c in active),
        "active_error": sum(c.reply is not None and not ok(c) for c in active),
        "active_missing": sum(c.reply is None for c in active),
        "trickle_ok": sum(ok(c) for c in trickle),
        "trickle_missing": sum(c.reply is None for c in trickle),
        "idle_closed_early": sum(c.buf != b"" for c in idle),
        "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": pct(lat, 100),
    }
    bad = [c.reply for c in active + trickle if c.reply is not None and not ok(c)]
    if bad:
        res["first_error"] = bad[0].decode("utf-8", "replace")[:200]
    for c in idle + trickle + active:
        c.s.close()
    print(json.dumps(res))
    return 0 if res["active_ok"] == len(active) and res["trickle_ok"] == len(trickle) else 1


if __name__ == "__main__":
    sys.exit(main())
