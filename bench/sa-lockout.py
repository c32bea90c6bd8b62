#!/usr/bin/env python3
"""sa-lockout SOCKET N GID [ROUNDS]: issue 12 §3 as a measurement. Each
round, one group member (uid 65534, setpriv) opens N connections as fast
as it can, the even ones idle, the odd ones sending {"cmd":"status"} a
byte every 0.1 s (whole at 1.7 s); meanwhile and for 3 s after its last connect, root and
a second member (uid 65533) each ask on a fresh connection (what the CLI
does) every 10 ms: root status and who 443 in turn, the member status.
Prints one JSON object: each asker's round trips (connect included) p50
and max over all rounds, the max of each round, and how many replies were
not ok (must be 0). Needs root; GID is the sockaudit group."""
import json, os, socket, subprocess, sys, threading, time

AFTER = 3.0                     # seconds of asking after the last connect


def ask_fresh(path, req):
    """ms for connect + request + reply line, and whether it was ok."""
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(path)
        s.sendall(req)
        buf = b""
        while not buf.endswith(b"\n"):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        ok = bool(buf) and json.loads(buf).get("ok") is True
    except (OSError, ValueError):
        ok = False
    finally:
        s.close()
    return (time.monotonic() - t) * 1e3, ok


def probe(path, reqs, stop):
    """Asks reqs in turn every 10 ms until stop() is true: [(ms, ok)]."""
    out, i = [], 0
    while not stop():
        t = time.monotonic()
        out.append(ask_fresh(path, reqs[i % len(reqs)]))
        if os.environ.get("SA_LOCKOUT_DEBUG") and out[-1][0] > 20:
            print("slow: %.1f ms at %.3f (uid %d)" % (out[-1][0], t % 1000, os.getuid()), file=sys.stderr)
        i += 1
        time.sleep(0.01)
    return out


def flood(path, n):
    """The member's N connections; 'CONNECTED' once all are, then trickles until stdin closes."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, n + 64), hard), hard))
    req, socks, sent = b'{"cmd":"status"}\n', [], []
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.setblocking(False)
        socks.append(s)
        sent.append(0)
    print("CONNECTED", flush=True)
    if os.environ.get("SA_LOCKOUT_DEBUG"):
        print("connected at %.3f" % (time.monotonic() % 1000), file=sys.stderr)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    while not done.wait(0.1):
        for i in range(1, n, 2):
            if sent[i] < len(req):
                try:
                    socks[i].send(req[sent[i]:sent[i] + 1])
                    sent[i] += 1
                except OSError:
                    sent[i] = len(req)


def member_probe(path, secs):
    stop_at = time.monotonic() + secs
    print(json.dumps(probe(path, [b'{"cmd":"status"}\n'], lambda: time.monotonic() > stop_at)))


def as_user(uid, gid, *args):
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--groups=%d" % gid,
            sys.executable, os.path.abspath(__file__)] + list(args)


def one_round(path, n, gid):
    """One flood: (root's [(ms, ok)], member's [(ms, ok)], seconds the connects took)."""
    t0 = time.monotonic()
    fl = subprocess.Popen(as_user(65534, gid, "flood", path, str(n)), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
    connected = []
    threading.Thread(target=lambda: connected.append(fl.stdout.readline() and time.monotonic()),
                     daemon=True).start()
    # The member asks for as long as root roughly does (connects take < 5 s).
    m2 = subprocess.Popen(as_user(65533, gid, "probe", path, "%.1f" % (AFTER + 2)),
                          stdout=subprocess.PIPE, text=True)
    root = probe(path, [b'{"cmd":"status"}\n', b'{"cmd":"who","port":443}\n'],
                 lambda: (connected and time.monotonic() > (connected[0] or t0) + AFTER)
                 or time.monotonic() > t0 + 30)
    member = json.loads(m2.communicate()[0] or "[]")
    fl.stdin.close()
    fl.wait()
    if not connected or not connected[0]:
        raise SystemExit("sa-lockout: the member's %d connects failed (exit %s)" % (n, fl.returncode))
    return root, member, connected[0] - t0


def summary(rows):
    ms = sorted(r[0] for r in rows)
    if not ms:
        return {"n": 0}
    return {"p50_ms": round(ms[len(ms) // 2], 2), "max_ms": round(ms[-1], 2), "n": len(ms),
            "not_ok": sum(1 for r in rows if not r[1])}


def main():
    if sys.argv[1] == "flood":
        return flood(sys.argv[2], int(sys.argv[3]))
    if sys.argv[1] == "probe":
        return member_probe(sys.argv[2], float(sys.argv[3]))
    path, n, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    all_root, all_member, per_round = [], [], []
    for _ in range(rounds):
        root, member, took = one_round(path, n, gid)
        all_root += root
        all_member += member
        per_round.append({"connects_s": round(took, 2),
                          "root_max_ms": summary(root).get("max_ms"),
                          "member_max_ms": summary(member).get("max_ms")})
        time.sleep(1)           # the member's connections close
    print(json.dumps({"n": n, "rounds": rounds, "root": summary(all_root), "member": summary(all_member),
                      "per_round": per_round}))


if __name__ == "__main__":
    main()
