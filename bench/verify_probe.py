#!/usr/bin/env python3
"""Times the mirror's clean verify against a stock rsync no-change run of the same tree, alternated.

  verify_probe.py LOG JAVA_PID DAEMON_PID ROUNDS -- RSYNC ARGS...

Follows LOG (the running `camel-rsync mirror`'s output) for its verify lines. The mirror's JVM is sampled every
10 ms (utime+stime of /proc/JAVA_PID/stat); a verify's CPU is the JVM's CPU from the last sample before it began
(the line's end time minus its own "in N ms") to the line. After each verify, once the daemon has reaped its
session, the stock command runs once; its CPU is its own rusage. The daemon side of both is the stock daemon's
children's CPU (cutime+cstime of DAEMON_PID), taken before and 0.3 s after each. Prints one row per run:
  tool<TAB>round<TAB>wall_ms<TAB>client_cpu_ms<TAB>daemon_cpu_ms<TAB>files
"""
import os
import re
import resource
import subprocess
import sys
import threading
import time

TIMEOUT = float(os.environ.get("PROBE_TIMEOUT", "600"))
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")
LINE = re.compile(r"verify: (\S+) (is up to date \((\d+) files checked in (\d+) ms|.*out of date.*)")


def stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def own_cpu_ms(pid):  # utime + stime
    s = stat_fields(pid)
    return (int(s[11]) + int(s[12])) * TICK_MS


def children_cpu_ms(pid):  # cutime + cstime: reaped children
    s = stat_fields(pid)
    return (int(s[13]) + int(s[14])) * TICK_MS


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.lock = pid, [], threading.Lock()

    def run(self):
        while True:
            v = (time.monotonic(), own_cpu_ms(self.pid))
            with self.lock:
                self.samples.append(v)
                del self.samples[:-2000]
            time.sleep(0.01)

    def at_or_before(self, t):
        with self.lock:
            best = self.samples[0]
            for s in self.samples:
                if s[0] <= t:
                    best = s
            return best


def next_verify(log, pos):
    """Waits for the next verify line after byte pos; returns (line match, end monotonic time, new pos)."""
    start = time.monotonic()
    buf = b""
    while time.monotonic() - start < TIMEOUT:
        with open(log, "rb") as f:
            f.seek(pos)
            chunk = f.read()
        now = time.monotonic()
        if chunk:
            buf += chunk
            pos += len(chunk)
            *lines, buf = buf.split(b"\n")
            pos -= len(buf)
            buf = b""
            for line in lines:
                m = LINE.search(line.decode("utf-8", "replace"))
                if m:
                    return m, now, pos
        time.sleep(0.005)
    sys.exit("no verify line in %s within %d s" % (log, TIMEOUT))


def main():
    log, java_pid, daemon_pid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    stock = sys.argv[sys.argv.index("--") + 1:]
    sampler = Sampler(java_pid)
    sampler.start()
    pos = os.path.getsize(log)
    for rnd in range(1, rounds + 1):
        daemon_before = children_cpu_ms(daemon_pid)
        m, end, pos = next_verify(log, pos)
        if m.group(3) is None:
            sys.exit("the verify was not clean: " + m.group(0))
        files, wall = int(m.group(3)), float(m.group(4))
        begin = sampler.at_or_before(end - wall / 1000.0 - 0.01)
        client = own_cpu_ms(java_pid) - begin[1]
        time.sleep(0.3)  # the daemon reaps the session's processes
        daemon = children_cpu_ms(daemon_pid) - daemon_before
        print("ours\t%d\t%.1f\t%.0f\t%.0f\t%d" % (rnd, wall, client, daemon, files), flush=True)

        daemon_before = children_cpu_ms(daemon_pid)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        done = subprocess.run(stock, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wall = (time.monotonic() - t0) * 1000
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit("stock rsync failed (%d): %s" % (done.returncode, done.stdout.decode()))
        client = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000
        time.sleep(0.3)
        daemon = children_cpu_ms(daemon_pid) - daemon_before
        print("stock\t%d\t%.1f\t%.0f\t%.0f\t-" % (rnd, wall, client, daemon), flush=True)


if __name__ == "__main__":
    main()
