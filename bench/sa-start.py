#!/usr/bin/env python3
# Start-up cost of CLI binaries side by side: `BIN --version`, 15 rounds of
# 40 runs each, alternating, min and median per run in ms.
#   python3 bench/sa-start.py BIN...
import subprocess
import sys
import time

bins = sys.argv[1:]
res = {b: [] for b in bins}
for _ in range(15):
    for b in bins:
        t = time.perf_counter()
        for _ in range(40):
            subprocess.run([b, '--version'], stdout=subprocess.DEVNULL, check=False)
        res[b].append((time.perf_counter() - t) / 40 * 1000)
for b in bins:
    v = sorted(res[b])
    print(f"{b}: min {v[0]:.3f} med {v[len(v) // 2]:.3f} ms")
