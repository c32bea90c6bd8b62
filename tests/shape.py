#!/usr/bin/env python3
"""The shape of the C sources (lib/, daemon/, cli/), as docs/ARCHITECTURE.md
promises it: files of at most MAX_FILE lines, functions of at most MAX_FUNC,
no #include cycle among the project's own headers, no cycle among lib's
modules (which object calls which, from `nm` of $BUILD/lib/*.o), and every
file opening with a comment that says what it holds. One line per check,
then "shape: N passed, N failed"."""
import glob, os, re, subprocess, sys

MAX_FILE, MAX_FUNC = 900, 100
DIRS = ("lib", "lib/include", "daemon", "cli")
top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
os.chdir(top)

files = sorted(os.path.join(d, f) for d in DIRS for f in os.listdir(d)
               if f.endswith((".c", ".h")))
passed = failed = 0

def result(ok, what):
    global passed, failed
    print(("PASS: " if ok else "FAIL: ") + what)
    if ok:
        passed += 1
    else:
        failed += 1

def opening_comment(text):
    lines = [l for l in text.splitlines() if l.strip()]
    # skip an SPDX line
    i = 1 if lines and "SPDX" in lines[0] else 0
    return i < len(lines) and lines[i].lstrip().startswith(("/*", "//"))

long_files, long_funcs, no_comment = [], [], []
graph = {}
for f in files:
    text = open(f, encoding="utf-8", errors="replace").read()
    n = text.count("\n")
    if n > MAX_FILE:
        long_files.append(f"{f} ({n} lines)")
    if not opening_comment(text):
        no_comment.append(f)
    if f.endswith(".c"):
        start = name = None
        for i, line in enumerate(text.splitlines(), 1):
            if re.match(r"^[A-Za-z_].*\(", line) and not line.endswith(";"):
                name = line
            elif line.startswith("{"):
                start = i
            elif line.startswith("}") and start:
                if i - start - 1 > MAX_FUNC:
                    long_funcs.append(f"{f}:{start}: {i - start - 1} lines: {name}")
                start = None
    incs = re.findall(r'^#include "([^"]+)"', text, re.M)
    graph[f] = [os.path.normpath(os.path.join(d, h)) for h in incs
                for d in (os.path.dirname(f), "lib", "lib/include")]

def lib_calls():
    """Which lib object calls into which, from nm (empty without a build)."""
    objs = sorted(glob.glob(os.path.join(os.environ.get("BUILD", "build"), "lib", "*.o")))
    defs, undefs = {}, {}
    for o in objs:
        out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
        for parts in (l.split() for l in out.splitlines()):
            if len(parts) == 3 and parts[1] in "TDRB":
                defs.setdefault(parts[2], o)
            elif len(parts) == 2 and parts[0] == "U":
                undefs.setdefault(o, set()).add(parts[1])
    # The files that share the scanner's private struct (scanner.h) are one
    # module: a full scan resets the incremental state, a refresh may fall
    # back to a full scan.
    shared = {f for f in files if f.startswith("lib/") and f.endswith(".c")
              and '#include "scanner.h"' in open(f).read()}
    def name(o):
        f = "lib/" + os.path.basename(o)[:-2] + ".c"
        return "lib/scanner (" + ", ".join(sorted(x[4:] for x in shared)) + ")" if f in shared else f
    calls = {}
    for o in objs:
        calls.setdefault(name(o), set()).update(name(defs[u]) for u in undefs.get(o, ()) if u in defs)
    return {k: sorted(v - {k}) for k, v in calls.items()}

def cycles(graph):
    found, state = [], {}
    def visit(n, path):
        state[n] = 1
        for m in graph.get(n, []):
            if m not in graph:
                continue
            if state.get(m) == 1:
                found.append(" -> ".join(path[path.index(m):] + [m]))
            elif not state.get(m):
                visit(m, path + [m])
        state[n] = 2
    for n in graph:
        if not state.get(n):
            visit(n, [n])
    return found

result(not long_files, f"no source file above {MAX_FILE} lines" + "".join("\n    " + x for x in long_files))
result(not long_funcs, f"no function above {MAX_FUNC} lines" + "".join("\n    " + x for x in long_funcs))
cyc = cycles(graph)
result(not cyc, "no #include cycle" + "".join("\n    " + x for x in cyc))
calls = lib_calls()
if calls:
    cyc = cycles(calls)
    result(not cyc, "no cycle among lib's modules" + "".join("\n    " + x for x in cyc))
else:
    print("SKIP: no cycle among lib's modules: no lib objects built")
result(not no_comment, "every file opens with a comment" + "".join("\n    " + x for x in no_comment))
print(f"shape: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
