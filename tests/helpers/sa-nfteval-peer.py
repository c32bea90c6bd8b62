#!/usr/bin/env python3
# The kernel side of tests/integration/test_nft_verdicts.sh.
#
#   sa-nfteval-peer.py serve TCP_PORTS UDP_PORTS
#       listens on [::] (IPv4 too) on each TCP port (accepts, closes) and
#       each UDP port (echoes); prints READY once bound.
#   sa-nfteval-peer.py probe SECONDS < CASES
#       CASES: lines "ID ADDRESS PROTO PORT"; all probed at once; prints
#       "ID accept|reject|drop": connected or echoed, refused (RST or ICMP
#       error), or no answer within SECONDS.
import select
import socket
import sys
import threading
import time


def serve(tcp_ports, udp_ports):
    socks = []
    for kind, ports in ((socket.SOCK_STREAM, tcp_ports), (socket.SOCK_DGRAM, udp_ports)):
        for p in filter(None, ports.split(",")):
            s = socket.socket(socket.AF_INET6, kind)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", int(p)))
            if kind == socket.SOCK_STREAM:
                s.listen(64)
            socks.append(s)
    print("READY", flush=True)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            if s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                c.close()
            else:
                data, peer = s.recvfrom(2048)
                s.sendto(data, peer)


def probe_one(addr, proto, port, seconds, out, key):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(seconds)
    if proto == "udp":
        # ICMP errors a connected UDP socket otherwise treats as soft (host unreachable)
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, 11, 1)      # IP_RECVERR
        else:
            s.setsockopt(socket.IPPROTO_IPV6, 25, 1)    # IPV6_RECVERR
    try:
        s.connect((addr, port))
        if proto == "udp":
            s.send(b"ping")
            s.recv(64)
        out[key] = "accept"
    except socket.timeout:
        out[key] = "drop"
    except OSError:
        out[key] = "reject"     # refused, host/admin unreachable
    finally:
        s.close()


def probe(seconds):
    out, threads = {}, []
    for line in sys.stdin:
        f = line.split()
        if len(f) != 4:
            continue
        t = threading.Thread(target=probe_one, args=(f[1], f[2], int(f[3]), seconds, out, f[0]))
        t.start()
        threads.append(t)
        # Not all at once: the kernel drops an ICMP error whose send lock
        # another CPU holds (icmp(v6)_xmit_lock is a trylock).
        time.sleep(0.005)
    for t in threads:
        t.join()
    for k in sorted(out):
        print(k, out[k])


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        probe(float(sys.argv[2]))
