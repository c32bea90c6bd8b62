#!/usr/bin/env python3
"""sa-pty: runs a command with its stdin, stdout and stderr on a new pty.

    sa-pty.py --cols N [--rows N] [--timeout S] -- CMD [ARG...]

The pty gets the window size N columns (TIOCSWINSZ) before CMD starts, so
CMD sees a terminal of that width (isatty() true, TIOCGWINSZ answers N).
What CMD writes is copied to our stdout with the terminal's "\\r\\n" turned
back into "\\n". Exit status: CMD's (128 + signal when killed), 124 when it
ran past --timeout (then it is killed), 2 on usage. The environment is
passed on as it is (COLUMNS too: unset it to test TIOCGWINSZ alone).
"""
import argparse
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser(prog="sa-pty.py")
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd or not 0 < a.cols < 65536 or not 0 < a.rows < 65536:
        ap.print_usage(sys.stderr)
        return 2

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, ("sa-pty: %s: %s\n" % (cmd[0], e.strerror)).encode())
        os._exit(127)
    os.close(slave)

    out = bytearray()
    deadline = time.monotonic() + a.timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        r, _, _ = select.select([master], [], [], min(left, 0.5))
        if not r:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every copy of the slave is closed
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(master)
    sys.stdout.buffer.write(bytes(out).replace(b"\r\n", b"\n"))
    sys.stdout.flush()
    if timed_out:
        return 124
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
