#!/usr/bin/env bash
# A renamed directory: camel-rsync mirror (which sends a move with the old copy on the target as basis) vs a
# re-upload (stock `rsync -aH --delete SRC/ rsync://...` after the rename, which is what a mirror without move
# support sends), into the same stock `rsync --daemon` on a free loopback port, one module each, seeded with an
# identical copy first. Rounds alternate which goes first; medians; ratio ours / re-upload.
#
# Ours runs as a long-running mirror does: every round starts a new mirror process, and a directory of as many
# small (1 KiB) files is renamed and back WARMUPS times, untimed, before the timed rename (so the JIT has compiled
# the code a rename runs, as in a mirror that has been up a while; WARMUPS=0 measures a cold one).
#
#   time:    from the rename until the target has every file under the new name and the old name is gone
#   literal: file data sent as literal bytes (ours: the mirror's "pushed ..." log lines of the rename; the
#            re-upload: rsync --stats)
#
# Env: FILES (1000) FILE_KB (1024) ROUNDS (3) WARMUPS (3) BENCH_DIR (kept when given)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-1000} FILE_KB=${FILE_KB:-1024} ROUNDS=${ROUNDS:-3} WARMUPS=${WARMUPS:-3}
export LC_ALL=C.UTF-8
for cmd in rsync java python3; do
  command -v $cmd >/dev/null || { echo "$cmd is missing" >&2; exit 1; }
done
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-rename-bench.XXXXXX)}
mkdir -p "$work" "$repo/bench/results"
results="$repo/bench/results/rename-$(date +%Y%m%d-%H%M%S).tsv"
printf 'tool\tround\tseconds\tliteral_bytes\n' > "$results"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

conf="$work/rsyncd.conf"
{
  echo "pid file = $work/rsyncd.pid"; echo "use chroot = no"
  for tool in ours reupload; do
    mkdir -p "$work/dst-$tool" "$work/src-$tool/a" "$work/src-$tool/b"
    printf '[%s]\npath = %s\nread only = no\nuid = %s\ngid = %s\n' "$tool" "$work/dst-$tool" "$(id -un)" "$(id -gn)"
  done
} > "$conf"
rsync --daemon --no-detach --config="$conf" --port="$port" --address=127.0.0.1 > "$work/rsyncd.out" 2>&1 &
daemon_pid=$!
mirror_pgid=""
cleanup() {
  [ -z "$mirror_pgid" ] || kill -- -"$mirror_pgid" 2>/dev/null || true
  kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
sleep 0.5

# one tree per tool, renamed back and forth: a/tree <-> b/tree-N (across directories, so the parent changes too)
for tool in ours reupload; do
  if [ ! -d "$work/src-$tool/a/tree" ]; then
    echo "writing $FILES files of $FILE_KB KiB for $tool..."
    python3 - "$work/src-$tool/a/tree" "$FILES" "$FILE_KB" <<'PY'
import os, sys
d, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(kb * 1024))
PY
  fi
  mkdir -p "$work/src-$tool/warm"
  # as many small files as the tree: the warm-up renames run the same code over as many entries
  python3 -c 'import os, sys; [open(os.path.join(sys.argv[1], "w%05d" % i), "wb").write(os.urandom(1024)) for i in range(int(sys.argv[2]))]' \
    "$work/src-$tool/warm" "$FILES"
  rsync -aH --delete "$work/src-$tool/" "$work/dst-$tool/"
done

poll_start() { # DST WANTED: starts a poller in the background that ends once the tree sits complete at WANTED
  # only (at most 600 s), and returns when it is polling: started after the rename, the interpreter's start-up
  # (a pyenv shim takes hundreds of ms) would be timed as the mirror's; one process, not one per look
  local ready="$work/poller.ready"
  rm -f "$ready"
  python3 - "$1" "$2" "$FILES" "$ready" <<'PY' &
import os, sys, time
dst, wanted, n, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def located():
    found = [os.path.join(p, d) for p in ("a", "b") if os.path.isdir(os.path.join(dst, p))
             for d in os.listdir(os.path.join(dst, p))]
    if len(found) == 1:
        names = [f for f in os.listdir(os.path.join(dst, found[0])) if not f.startswith(".")]
        if len(names) == n:
            return found[0]
    return None
open(ready, "w").close()
deadline = time.monotonic() + 600
while located() != wanted:
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.005)
PY
  poller=$!
  until [ -e "$ready" ]; do sleep 0.01; done
}

poll_wait() { # DST WANTED: the poller's end
  wait "$poller" || { echo "timed out waiting for $2 in $1" >&2; exit 1; }
}

current() { (cd "$1" && find a b -mindepth 1 -maxdepth 1 -type d | head -1); }
next_name() { case $1 in a/*) echo "b/tree-$2";; *) echo "a/tree";; esac; }

run_ours() {
  local round=$1 src="$work/src-ours" log="$work/ours.log"
  setsid "$repo/bin/camel-rsync" mirror -aH --delete "$src/" "rsync://127.0.0.1:$port/ours/" > "$log" 2>&1 &
  mirror_pgid=$!
  # the start-up sync is done when its batch line is logged
  local deadline=$((SECONDS + 600))
  until grep -q "batch to .*full sync" "$log"; do
    [ $SECONDS -lt $deadline ] || { echo "the mirror did not start; see $log" >&2; exit 1; }
    sleep 0.05
  done
  # a long-running mirror has run its move code before (the JIT has compiled it): WARMUPS renames of a
  # directory of as many small files, there and back, untimed
  for _ in $(seq "$WARMUPS"); do
    mv "$src/warm" "$src/warm-moved"
    until [ "$(ls "$work/dst-ours/warm-moved" 2>/dev/null | wc -l)" -eq "$FILES" ] && [ ! -e "$work/dst-ours/warm" ]; do
      [ $SECONDS -lt $deadline ] || { echo "the warm-up rename did not arrive; see $log" >&2; exit 1; }
      sleep 0.05
    done
    mv "$src/warm-moved" "$src/warm"
    until [ "$(ls "$work/dst-ours/warm" 2>/dev/null | wc -l)" -eq "$FILES" ] && [ ! -e "$work/dst-ours/warm-moved" ]; do
      [ $SECONDS -lt $deadline ] || { echo "the warm-up rename did not arrive; see $log" >&2; exit 1; }
      sleep 0.05
    done
  done
  sleep 0.5
  local from to lines t0 t1 literal
  from=$(current "$src"); to=$(next_name "$from" "$round")
  lines=$(wc -l < "$log")
  poll_start "$work/dst-ours" "$to"
  t0=$(date +%s.%N)
  mv "$src/$from" "$src/$to"
  poll_wait "$work/dst-ours" "$to"
  t1=$(date +%s.%N)
  sleep 1 # the batch line comes after the target is complete
  literal=$(tail -n +"$((lines + 1))" "$log" | sed -n 's/.*pushed .*, \([0-9]*\) literal bytes.*/\1/p' | awk '{s += $1} END {print s + 0}')
  kill -- -"$mirror_pgid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$mirror_pgid" 2>/dev/null || break; sleep 0.1; done
  mirror_pgid=""
  printf 'ours\t%s\t%s\t%s\n' "$round" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" "$literal" >> "$results"
}

run_reupload() {
  local round=$1 src="$work/src-reupload"
  local from to t0 t1 literal
  from=$(current "$src"); to=$(next_name "$from" "$round")
  mv "$src/$from" "$src/$to"
  t0=$(date +%s.%N)
  literal=$(rsync -aH --delete --stats "$src/" "rsync://127.0.0.1:$port/reupload/" | sed -n 's/^Literal data: \([0-9,]*\) bytes.*/\1/p' | tr -d ,)
  t1=$(date +%s.%N)
  poll_start "$work/dst-reupload" "$to"
  poll_wait "$work/dst-reupload" "$to"
  printf 'reupload\t%s\t%s\t%s\n' "$round" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" "$literal" >> "$results"
}

for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then run_ours "$round"; run_reupload "$round"; else run_reupload "$round"; run_ours "$round"; fi
  echo "round $round done"
done

python3 - "$results" "$FILES" "$FILE_KB" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
tree = int(sys.argv[2]) * int(sys.argv[3]) * 1024
med = lambda tool, k: statistics.median(float(r[k]) for r in rows if r["tool"] == tool)
o_t, r_t = med("ours", "seconds"), med("reupload", "seconds")
o_l, r_l = med("ours", "literal_bytes"), med("reupload", "literal_bytes")
print("rename of a directory of %s files (%d MiB):" % (sys.argv[2], tree >> 20))
print("  time     ours %.3f s, re-upload %.3f s: %.3fx (goal <= 0.3x)" % (o_t, r_t, o_t / r_t))
print("  literal  ours %d bytes (%.3f%% of the tree, goal <= 1%%), re-upload %d bytes" % (o_l, 100.0 * o_l / tree, r_l))
PY
echo "per-run rows: $results"
