#!/usr/bin/env python3
"""sa-loopwait SOCKET CMD SECONDS: how long the daemon's loop keeps others
waiting while one client asks CMD (e.g. check) back to back for SECONDS.
A second connection asks status every 10 ms meanwhile. Prints one JSON
object: status round trips (p50, max, count) and CMD's (median, count)."""
import json, socket, sys, threading, time

path, cmd, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])


def ask(s, f, req):
    t = time.monotonic()
    s.sendall(req)
    line = f.readline()
    if not line or not json.loads(line).get("ok"):
        raise SystemExit("no or bad reply to %r: %r" % (req, line[:200]))
    return (time.monotonic() - t) * 1e3


def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")


stop, flood_ms = time.monotonic() + secs, []


def flood():
    s, f = conn()
    req = json.dumps({"cmd": cmd}).encode() + b"\n"
    while time.monotonic() < stop:
        flood_ms.append(ask(s, f, req))


s, f = conn()
ask(s, f, b'{"cmd":"status"}\n')
t = threading.Thread(target=flood)
t.start()
status_ms = []
while t.is_alive():
    status_ms.append(ask(s, f, b'{"cmd":"status"}\n'))
    time.sleep(0.01)
t.join()
status_ms.sort()
flood_ms.sort()
print(json.dumps({
    "status_p50_ms": round(status_ms[len(status_ms) // 2], 2),
    "status_max_ms": round(status_ms[-1], 2),
    "status_n": len(status_ms),
    cmd + "_median_ms": round(flood_ms[len(flood_ms) // 2], 1) if flood_ms else None,
    cmd + "_n": len(flood_ms),
}))
