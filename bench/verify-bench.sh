#!/usr/bin/env bash
# The cost of the mirror's verify (mirror.verify-interval): one clean verify of a running `camel-rsync mirror`
# vs a stock `rsync` no-change run of the same tree, same options, same stock daemon, same run, alternated
# (verify, stock, verify, stock...), medians and ratios ours/stock. Wall time, the client's CPU (the mirror's JVM
# during its verify; the rsync process), and the daemon side's CPU (the stock daemon's reaped sessions).
#
# Env: FILES (100000) DIRS (1000) ROUNDS (5) INTERVAL (seconds between verifies, 20) BENCH_DIR (kept, and its
#      tree reused, when given)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-100000} DIRS=${DIRS:-1000} ROUNDS=${ROUNDS:-5} INTERVAL=${INTERVAL:-20}
export LC_ALL=C.UTF-8

for cmd in rsync java python3; do
  command -v $cmd >/dev/null || { echo "$cmd is missing" >&2; exit 1; }
done
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-verify-bench.XXXXXX)}
mkdir -p "$work" "$repo/bench/results"
results="$repo/bench/results/verify-$(date +%Y%m%d-%H%M%S).tsv"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
src="$work/src"
[ -d "$src" ] || { echo "building the $FILES-file tree..."; python3 "$repo/bench/make_tree.py" "$src" "$FILES" "$DIRS"; }

conf="$work/rsyncd.conf"
{
  echo "pid file = $work/rsyncd.pid"; echo "log file = $work/rsyncd.log"; echo "use chroot = no"
  for m in ours stock; do
    mkdir -p "$work/dst-$m"
    printf '[%s]\npath = %s\nread only = no\nuid = %s\ngid = %s\n' "$m" "$work/dst-$m" "$(id -un)" "$(id -gn)"
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
trap 'exit 130' INT TERM
sleep 0.5

echo "seeding both modules (untimed)..."
for m in ours stock; do rsync -aH --delete "$src/" "rsync://127.0.0.1:$port/$m/"; done

log="$work/mirror.log"
setsid "$repo/bin/camel-rsync" mirror -aH --delete --verify-interval "$INTERVAL" "$src/" \
  "rsync://127.0.0.1:$port/ours/" > "$log" 2>&1 &
mirror_pgid=$!
sleep 1
java_pid=$(pgrep -P "$mirror_pgid" java || echo "$mirror_pgid")
echo "mirror running (JVM $java_pid), a verify every $INTERVAL s; $ROUNDS rounds..."

printf 'tool\tround\twall_ms\tclient_cpu_ms\tdaemon_cpu_ms\tfiles\n' > "$results"
PROBE_TIMEOUT=$((INTERVAL * 3 + 120)) python3 "$repo/bench/verify_probe.py" "$log" "$java_pid" "$daemon_pid" \
  "$ROUNDS" -- rsync -aH --delete "$src/" "rsync://127.0.0.1:$port/stock/" | tee -a "$results"

echo
echo "results: $results"
python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(tool, col):
    v = [float(r[col]) for r in rows if r["tool"] == tool]
    return statistics.median(v) if v else None
print("%-28s %10s %10s %10s" % ("median", "ours", "stock", "ours/stock"))
for col, label in (("wall_ms", "wall (ms)"), ("client_cpu_ms", "client CPU (ms)"), ("daemon_cpu_ms", "daemon CPU (ms)")):
    o, s = med("ours", col), med("stock", col)
    print("%-28s %10.0f %10.0f %10s" % (label, o, s, "%.2fx" % (o / s) if s else "-"))
PY
