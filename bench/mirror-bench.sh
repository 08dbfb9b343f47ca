#!/usr/bin/env bash
# The live mirror: camel-rsync mirror vs lsyncd (default.rsync, delay = 0) vs the inotifywait loop, same machine,
# same run, all three pushing into the same stock `rsync --daemon` (one module each). One tool runs at a time
# (they share the source tree); each scenario starts the tool, waits until its start-up sync is done, measures,
# stops it. Rounds alternate the order of the tools. Medians (and p95 for latencies), ratios ours/anchor.
#
#   (a) edit latency: EDITS single-file appends, one at a time, on the FILES tree and on a SMALL_FILES tree
#   (b) BURST new 4 KiB files written at once into one new directory: time until all are on the target,
#       and how long the writer took
#   (c) a directory of 100 files renamed: time until the target has the new name and not the old one
#   idle CPU of ours and lsyncd over 10 s with nothing changing
#
# Env: FILES (100000) DIRS (1000) SMALL_FILES (10000) EDITS (20) BURST (5000) ROUNDS (2)
#      TOOLS ("ours lsyncd loop") SCENARIOS ("edit edit-small burst rename idle")
#      LOOP_TIMEOUT (60 s: the loop re-syncs the whole tree per event and may never catch up; a timeout is
#      reported as such) BENCH_DIR (kept when given)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-100000} DIRS=${DIRS:-1000} SMALL_FILES=${SMALL_FILES:-10000} EDITS=${EDITS:-20}
BURST=${BURST:-5000} ROUNDS=${ROUNDS:-2} LOOP_TIMEOUT=${LOOP_TIMEOUT:-60}
TOOLS=${TOOLS:-"ours lsyncd loop"} SCENARIOS=${SCENARIOS:-"edit edit-small burst rename idle"}
export LC_ALL=C.UTF-8
probe="python3 $repo/bench/mirror_probe.py"

for cmd in rsync java python3; do
  command -v $cmd >/dev/null || { echo "$cmd is missing" >&2; exit 1; }
done
case " $TOOLS " in *" lsyncd "*) command -v lsyncd >/dev/null || { echo "lsyncd is missing: apt-get install -y lsyncd" >&2; exit 1; };; esac
case " $TOOLS " in *" loop "*) command -v inotifywait >/dev/null || { echo "inotifywait is missing: apt-get install -y inotify-tools" >&2; exit 1; };; esac
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-mirror-bench.XXXXXX)}
mkdir -p "$work" "$repo/bench/results"
results="$repo/bench/results/mirror-$(date +%Y%m%d-%H%M%S).tsv"
printf 'tool\ttree\tscenario\tround\tmetric\tvalue\n' > "$results"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

declare -A tree_src=([big]="$work/src-big" [small]="$work/src-small")
[ -d "${tree_src[big]}" ] || { echo "building the $FILES-file tree..."; python3 "$repo/bench/make_tree.py" "${tree_src[big]}" "$FILES" "$DIRS"; }
[ -d "${tree_src[small]}" ] || { echo "building the $SMALL_FILES-file tree..."; python3 "$repo/bench/make_tree.py" "${tree_src[small]}" "$SMALL_FILES" $((SMALL_FILES / 100)); }

conf="$work/rsyncd.conf"
{
  echo "pid file = $work/rsyncd.pid"; echo "log file = $work/rsyncd.log"; echo "use chroot = no"
  echo "max connections = 0"; echo "listen backlog = 128"
  for t in big small; do for tool in ours lsyncd loop; do
    mkdir -p "$work/dst-$t-$tool"
    printf '[%s-%s]\npath = %s\nread only = no\nuid = %s\ngid = %s\n' "$t" "$tool" "$work/dst-$t-$tool" "$(id -un)" "$(id -gn)"
  done; done
} > "$conf"
rsync --daemon --no-detach --config="$conf" --port="$port" --address=127.0.0.1 > "$work/rsyncd.out" 2>&1 &
daemon_pid=$!
tool_pgid=""
cleanup() {
  [ -z "$tool_pgid" ] || kill -- -"$tool_pgid" 2>/dev/null || true
  kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true # its last session may still be writing into the work dir
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
sleep 0.5

echo "seeding the targets (untimed)..."
for t in big small; do for tool in $TOOLS; do
  rsync -aH --delete "${tree_src[$t]}/" "$work/dst-$t-$tool/"
done; done

start_tool() { # TOOL TREE: starts it in its own process group; sets tool_pgid and tool_pid
  local tool=$1 t=$2 src=${tree_src[$2]} url="rsync://127.0.0.1:$port/$2-$1/" log="$work/$1-$2.log"
  case $tool in
    ours)
      setsid "$repo/bin/camel-rsync" mirror -aH --delete "$src/" "$url" > "$log" 2>&1 &
      ;;
    lsyncd)
      cat > "$work/lsyncd.lua" <<LUA
settings { nodaemon = true, insist = true, logfile = "$work/lsyncd-$t.log", statusFile = "$work/lsyncd.status" }
sync { default.rsync, source = "$src", target = "$url", delay = 0, rsync = { archive = true, hard_links = true } }
LUA
      setsid lsyncd "$work/lsyncd.lua" > "$log" 2>&1 &
      ;;
    loop)
      setsid bash -c 'inotifywait -mrq -e close_write,modify,delete,create,attrib,move "$0" | while read -r f; do rsync -aH --delete "$0/" "$1"; done' "$src" "$url" > "$log" 2>&1 &
      ;;
  esac
  tool_pid=$!
  tool_pgid=$tool_pid
  sleep 0.3
  if [ "$tool" = loop ]; then # the loop has no start-up sync: the first event runs it
    rsync -aH --delete "$src/" "$url" >/dev/null
  fi
  local r
  r=$(PROBE_TIMEOUT=600 $probe ready "$src" "$work/dst-$t-$tool")
  record "$tool" "$t" start "$round" "$(cut -f1 <<<"$r")" "$(cut -f2 <<<"$r")"
}

stop_tool() {
  kill -- -"$tool_pgid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$tool_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- -"$tool_pgid" 2>/dev/null || true
  tool_pgid=""
}

record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$results"; }

run_probe() { # TOOL TREE SCENARIO ARGS...: runs the probe, records each "metric<TAB>value" line
  local tool=$1 t=$2 scenario=$3; shift 3
  local timeout=600
  [ "$tool" = loop ] && timeout=$LOOP_TIMEOUT
  PROBE_TIMEOUT=$timeout $probe "$@" | while IFS=$'\t' read -r metric value; do
    record "$tool" "$t" "$scenario" "$round" "$metric" "$value"
  done
}

for round in $(seq "$ROUNDS"); do
  order=($TOOLS)
  if [ $((round % 2)) -eq 0 ]; then order=($(printf '%s\n' "${order[@]}" | tac)); fi
  for scenario in $SCENARIOS; do
    for tool in "${order[@]}"; do
      t=big; [ "$scenario" = edit-small ] && t=small
      [ "$scenario" = idle ] && [ "$tool" = loop ] && continue
      echo "round $round: $scenario with $tool ($t tree)"
      start_tool "$tool" "$t"
      src=${tree_src[$t]} dst="$work/dst-$t-$tool"
      case $scenario in
        edit|edit-small) run_probe "$tool" "$t" "$scenario" edit "$src" "$dst" "$EDITS" "$round" ;;
        burst) run_probe "$tool" "$t" "$scenario" burst "$src" "$dst" "$BURST" 4096 ;;
        rename) run_probe "$tool" "$t" "$scenario" rename "$src" "$dst" 100 ;;
        idle) sleep 2; pid=$tool_pid
              [ "$tool" = ours ] && pid=$(pgrep -P "$tool_pid" java || echo "$tool_pid")
              run_probe "$tool" "$t" "$scenario" cpu "$pid" 10 ;;
      esac
      stop_tool
    done
  done
done

echo
echo "results: $results"
python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def values(tool, scen, metric):
    out = []
    for r in rows:
        if r["tool"] == tool and r["scenario"] == scen and r["metric"] == metric:
            out.append(float("inf") if r["value"] == "timeout" else float(r["value"]))
    return out
def p(vals, q):
    if not vals:
        return None
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]
def fmt(v):
    return "-" if v is None else ("timeout" if v == float("inf") else "%.1f" % v)
def ratio(a, b):
    if a is None or b is None or b in (0, float("inf")):
        return "-"
    return "%.2fx" % (a / b)
lines = [("edit", "edit_ms", 0.5, "(a) edit latency p50, FILES tree (ms)"),
         ("edit", "edit_ms", 0.95, "(a) edit latency p95, FILES tree (ms)"),
         ("edit-small", "edit_ms", 0.5, "(a) edit latency p50, SMALL_FILES tree (ms)"),
         ("edit-small", "edit_ms", 0.95, "(a) edit latency p95, SMALL_FILES tree (ms)"),
         ("burst", "burst_total_ms", 0.5, "(b) BURST files on target (ms)"),
         ("burst", "burst_writer_ms", 0.5, "(b) writer time (ms)"),
         ("rename", "rename_ms", 0.5, "(c) directory rename (ms)"),
         ("idle", "idle_cpu_pct", 0.5, "idle CPU (%)")]
print("%-40s %10s %10s %10s %12s %12s" % ("", "ours", "lsyncd", "loop", "ours/lsyncd", "ours/loop"))
for scen, metric, q, label in lines:
    o, l, w = (p(values(t, scen, metric), q) for t in ("ours", "lsyncd", "loop"))
    print("%-40s %10s %10s %10s %12s %12s" % (label, fmt(o), fmt(l), fmt(w), ratio(o, l), ratio(o, w)))
o100, o10 = p(values("ours", "edit", "edit_ms"), 0.5), p(values("ours", "edit-small", "edit_ms"), 0.5)
if o100 and o10:
    print("ours: p50 on the SMALL_FILES tree / on the FILES tree = %.2fx (goal: within 20%%)" % (o10 / o100))
PY
