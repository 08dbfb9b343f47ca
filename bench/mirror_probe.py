#!/usr/bin/env python3
"""Drives one mirror-bench scenario against a running mirror (any tool) and prints its timings.

  ready  SRC DST                 write a sentinel and wait until the mirror has copied it
  edit   SRC DST N SEED          N single-file edits, one at a time: ms from the write to the edit on DST
  burst  SRC DST N SIZE          N new files of SIZE bytes written at once into one new directory:
                                 writer ms, then ms until all N are complete on DST
  rename SRC DST N               a directory of N files (synced first, untimed) renamed: ms until DST agrees
  cpu    PID SECONDS             CPU the process (all its threads) used over SECONDS of idle, in % of a core
"""
import os
import random
import sys
import time

TIMEOUT = float(os.environ.get("PROBE_TIMEOUT", "120"))


def wait_until(cond, poll=0.001):
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > TIMEOUT:
            return None
        time.sleep(poll)
    return (time.monotonic() - start) * 1000


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def ready(src, dst):
    token = ("ready %f\n" % time.time()).encode()
    with open(os.path.join(src, ".bench-ready"), "wb") as f:
        f.write(token)
    ms = wait_until(lambda: read(os.path.join(dst, ".bench-ready")) == token, 0.05)
    print("ready_ms\t%s" % ("timeout" if ms is None else "%.1f" % ms))


def edit(src, dst, n, seed):
    rnd = random.Random(seed)
    files = []
    for root, _dirs, names in os.walk(src):
        files.extend(os.path.relpath(os.path.join(root, x), src) for x in names if not x.startswith(".bench"))
        if len(files) > 20000:
            break
    for i in range(n):
        rel = rnd.choice(files)
        token = ("edit %d %f\n" % (i, time.time())).encode()
        start = time.monotonic()
        with open(os.path.join(src, rel), "ab") as f:
            f.write(token)
        target = os.path.join(dst, rel)
        ok = wait_until(lambda: (read(target) or b"").endswith(token))
        print("edit_ms\t%s" % ("timeout" if ok is None else "%.1f" % ((time.monotonic() - start) * 1000)))
        sys.stdout.flush()
        time.sleep(0.2)  # separate edits: each one is its own change


def complete(dirpath, n, size):
    try:
        entries = list(os.scandir(dirpath))
    except OSError:
        return False
    return len(entries) == n and all(e.stat(follow_symlinks=False).st_size == size for e in entries)


def burst(src, dst, n, size):
    name = "burst-%d" % int(time.time() * 1000)
    data = os.urandom(size)
    start = time.monotonic()
    d = os.path.join(src, name)
    os.mkdir(d)
    for i in range(n):
        with open(os.path.join(d, "f%05d" % i), "wb") as f:
            f.write(data)
    writer = (time.monotonic() - start) * 1000
    ok = wait_until(lambda: complete(os.path.join(dst, name), n, size), 0.02)
    total = None if ok is None else (time.monotonic() - start) * 1000
    print("burst_writer_ms\t%.1f" % writer)
    print("burst_total_ms\t%s" % ("timeout" if total is None else "%.1f" % total))


def rename(src, dst, n):
    name = "ren-%d" % int(time.time() * 1000)
    d = os.path.join(src, name)
    os.mkdir(d)
    for i in range(n):
        with open(os.path.join(d, "f%03d" % i), "wb") as f:
            f.write(b"x" * 100)
    if wait_until(lambda: complete(os.path.join(dst, name), n, 100), 0.02) is None:
        print("rename_ms\ttimeout")
        return
    time.sleep(0.5)
    start = time.monotonic()
    os.rename(d, d + "-moved")
    ok = wait_until(lambda: not os.path.exists(os.path.join(dst, name))
                    and complete(os.path.join(dst, name + "-moved"), n, 100))
    print("rename_ms\t%s" % ("timeout" if ok is None else "%.1f" % ((time.monotonic() - start) * 1000)))


def cpu_seconds(pid):
    # the process's own line counts every thread, those that have exited too (a sum over tasks would not)
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu(pid, seconds):
    before = cpu_seconds(pid)
    time.sleep(seconds)
    print("idle_cpu_pct\t%.2f" % ((cpu_seconds(pid) - before) / seconds * 100))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ready":
        ready(*args)
    elif cmd == "edit":
        edit(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "burst":
        burst(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "rename":
        rename(args[0], args[1], int(args[2]))
    elif cmd == "cpu":
        cpu(int(args[0]), float(args[1]))
    else:
        sys.exit(__doc__)
