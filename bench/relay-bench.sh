#!/usr/bin/env bash
# A relay's end-to-end latency: a change at the source until it is on the final target two hops away.
#
#   ours-relay      camel-rsync mirror SRC -> our relay (camel-rsync mirror --config: its daemon's module "in",
#                   mirror.syncs[edge].relay = in) -> the stock daemon's final module
#   lsyncd-cascade  lsyncd SRC -> a stock daemon module (the relay host's copy); a second lsyncd watching that
#                   copy -> the final module (how lsyncd users cascade)
#   ours-direct     camel-rsync mirror SRC -> the final module, one hop (what the relay hop adds)
#
# One tool at a time (they share the source tree); each starts, waits until its start-up syncs are done,
# measures, stops. Rounds alternate the order. Medians and p95, ratios against lsyncd-cascade and ours-direct.
#   (a) edit: EDITS single-file appends, one at a time, 200 ms apart: ms from the write to the bytes on the
#       final target (polled every 1 ms)
#   (b) burst: BURST new 4 KiB files written at once into one new directory: ms until all are on the final target
#
# Env: FILES (10000) DIRS (100) EDITS (20) BURST (1000) ROUNDS (3) TOOLS ("ours-relay lsyncd-cascade ours-direct")
#      SCENARIOS ("edit burst") BENCH_DIR (kept when given)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-10000} DIRS=${DIRS:-100} EDITS=${EDITS:-20} BURST=${BURST:-1000} ROUNDS=${ROUNDS:-3}
TOOLS=${TOOLS:-"ours-relay lsyncd-cascade ours-direct"} SCENARIOS=${SCENARIOS:-"edit burst"}
export LC_ALL=C.UTF-8
probe="python3 $repo/bench/mirror_probe.py"
for cmd in rsync java python3 lsyncd; do
  command -v $cmd >/dev/null || { echo "$cmd is missing (lsyncd: apt-get install -y lsyncd)" >&2; exit 1; }
done
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-relay-bench.XXXXXX)}
mkdir -p "$work" "$repo/bench/results"
results="$repo/bench/results/relay-$(date +%Y%m%d-%H%M%S).tsv"
printf 'tool\tscenario\tround\tmetric\tvalue\n' > "$results"
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport) relay_port=$(freeport)
src="$work/src"
[ -d "$src" ] || { echo "building the $FILES-file tree..."; python3 "$repo/bench/make_tree.py" "$src" "$FILES" "$DIRS"; }

# the stock daemon: every tool's final module, and the lsyncd cascade's relay copy
conf="$work/rsyncd.conf"
{
  echo "pid file = $work/rsyncd.pid"; echo "log file = $work/rsyncd.log"; echo "use chroot = no"
  echo "max connections = 0"; echo "listen backlog = 128"
  for m in final-ours-relay final-lsyncd-cascade final-ours-direct relay-lsyncd; do
    mkdir -p "$work/$m"
    printf '[%s]\npath = %s\nread only = no\nuid = %s\ngid = %s\n' "$m" "$work/$m" "$(id -un)" "$(id -gn)"
  done
} > "$conf"
rsync --daemon --no-detach --config="$conf" --port="$port" --address=127.0.0.1 > "$work/rsyncd.out" 2>&1 &
daemon_pid=$!
# our relay's daemon config and mirror settings
mkdir -p "$work/relay-ours"
printf 'use chroot = no\n[in]\npath = %s\nread only = no\nmunge symlinks = no\n' "$work/relay-ours" > "$work/relay-rsyncd.conf"
cat > "$work/relay.properties" <<PROPS
mirror.daemon.enabled = true
mirror.daemon.address = 127.0.0.1
mirror.daemon.port = $relay_port
mirror.daemon.config = $work/relay-rsyncd.conf
mirror.syncs[edge].relay = in
mirror.syncs[edge].targets = rsync://127.0.0.1:$port/final-ours-relay/
mirror.verify-interval = 0
PROPS

pgids=()
cleanup() {
  for g in "${pgids[@]}"; do kill -- -"$g" 2>/dev/null || true; done
  kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
sleep 0.5
echo "seeding the copies (untimed)..."
for d in final-ours-relay final-lsyncd-cascade final-ours-direct relay-lsyncd relay-ours; do
  rsync -aH --delete "$src/" "$work/$d/"
done

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$results"; }
spawn() { # LOG CMD...: in its own process group
  local log=$1; shift
  setsid "$@" > "$log" 2>&1 &
  pgids+=($!)
}
ours() { # NAME PORTS ARGS...: bin/camel-rsync with its own observe and status ports
  local name=$1; shift
  CAMEL_RSYNC_JAVA_OPTS="-Dcamel.server.port=$(freeport) -Dcamel.management.port=$(freeport)" \
    spawn "$work/$name.log" "$repo/bin/camel-rsync" mirror "$@"
}

start_tool() {
  pgids=()
  case $1 in
    ours-relay)
      ours relay --config "$work/relay.properties"
      ours source -aH --delete "$src/" "rsync://127.0.0.1:$relay_port/in/" ;;
    ours-direct)
      ours source -aH --delete "$src/" "rsync://127.0.0.1:$port/final-ours-direct/" ;;
    lsyncd-cascade)
      for hop in 1 2; do
        from=$src to="rsync://127.0.0.1:$port/relay-lsyncd/"
        [ $hop = 2 ] && from="$work/relay-lsyncd" to="rsync://127.0.0.1:$port/final-lsyncd-cascade/"
        cat > "$work/lsyncd-$hop.lua" <<LUA
settings { nodaemon = true, insist = true, logfile = "$work/lsyncd-$hop.log", statusFile = "$work/lsyncd-$hop.status" }
sync { default.rsync, source = "$from", target = "$to", delay = 0, rsync = { archive = true, hard_links = true } }
LUA
        spawn "$work/lsyncd-$hop.out" lsyncd "$work/lsyncd-$hop.lua"
      done ;;
  esac
  local r
  r=$(PROBE_TIMEOUT=600 $probe ready "$src" "$work/final-$1")
  record "$1" start "$round" "$(cut -f1 <<<"$r")" "$(cut -f2 <<<"$r")"
}

stop_tool() {
  for g in "${pgids[@]}"; do kill -- -"$g" 2>/dev/null || true; done
  for g in "${pgids[@]}"; do
    for _ in $(seq 100); do kill -0 "$g" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- -"$g" 2>/dev/null || true
  done
  pgids=()
}

for round in $(seq "$ROUNDS"); do
  order=($TOOLS)
  if [ $((round % 2)) -eq 0 ]; then order=($(printf '%s\n' "${order[@]}" | tac)); fi
  for scenario in $SCENARIOS; do
    for tool in "${order[@]}"; do
      echo "round $round: $scenario with $tool"
      start_tool "$tool"
      case $scenario in
        edit) args=(edit "$src" "$work/final-$tool" "$EDITS" "$round") ;;
        burst) args=(burst "$src" "$work/final-$tool" "$BURST" 4096) ;;
      esac
      PROBE_TIMEOUT=600 $probe "${args[@]}" | while IFS=$'\t' read -r metric value; do
        record "$tool" "$scenario" "$round" "$metric" "$value"
      done
      stop_tool
    done
  done
done

echo
echo "results: $results"
python3 - "$results" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def values(tool, scen, metric):
    return [float("inf") if r["value"] == "timeout" else float(r["value"]) for r in rows
            if r["tool"] == tool and r["scenario"] == scen and r["metric"] == metric]
def p(vals, q):
    if not vals:
        return None
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]
def fmt(v):
    return "-" if v is None else ("timeout" if v == float("inf") else "%.1f" % v)
def ratio(a, b):
    return "-" if a is None or b in (None, 0, float("inf")) else "%.2fx" % (a / b)
print("%-34s %11s %15s %12s %16s %14s" % ("", "ours-relay", "lsyncd-cascade", "ours-direct", "relay/cascade",
                                         "relay/direct"))
for scen, metric, q, label in [("edit", "edit_ms", 0.5, "(a) edit, 2 hops, p50 (ms)"),
                               ("edit", "edit_ms", 0.95, "(a) edit, 2 hops, p95 (ms)"),
                               ("burst", "burst_total_ms", 0.5, "(b) BURST files, 2 hops (ms)")]:
    r, l, d = (p(values(t, scen, metric), q) for t in ("ours-relay", "lsyncd-cascade", "ours-direct"))
    print("%-34s %11s %15s %12s %16s %14s" % (label, fmt(r), fmt(l), fmt(d), ratio(r, l), ratio(r, d)))
PY
