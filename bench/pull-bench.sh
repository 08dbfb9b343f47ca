#!/usr/bin/env bash
# Pulls, both ends against stock rsync in the same run (alternated, medians, ratios ours/stock):
#   daemon side: the stock client pulls from our daemon (bin/camel-rsync daemon) vs from a stock rsync --daemon
#   client side: camel-rsync pull vs the stock client, both from the stock daemon
# Both daemons serve the same module (the source tree); each pull goes into its own empty or primed directory.
# Scenarios: tree100k (FILES files of 1 KiB in DIRS dirs into an empty DEST), tree100k-nochange (DEST already
# identical), big256m-delta (a BIG_MB file, DEST holds the old version with 1 MiB in the middle different).
# Env: FILES (100000) DIRS (1000) BIG_MB (256) RUNS (3) SCENARIOS SIDES ("daemon client") BENCH_DIR
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-100000} DIRS=${DIRS:-1000} BIG_MB=${BIG_MB:-256} RUNS=${RUNS:-3}
SCENARIOS=${SCENARIOS:-"tree100k tree100k-nochange big256m-delta"} SIDES=${SIDES:-"daemon client"}
export LC_ALL=C.UTF-8
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)
command -v rsync >/dev/null || { echo "rsync is missing: apt-get install -y rsync" >&2; exit 1; }

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-pull-bench.XXXXXX)}
mkdir -p "$work/src/tree" "$work/src/big" "$repo/bench/results"
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stock_port=$(freeport) our_port=$(freeport)
[ -f "$work/tree.done" ] || { python3 "$repo/bench/make_tree.py" "$work/src/tree" "$FILES" "$DIRS"; touch "$work/tree.done"; }
if [ ! -f "$work/big.done" ]; then
  head -c $((BIG_MB << 20)) /dev/urandom > "$work/src/big/big.bin"
  cp "$work/src/big/big.bin" "$work/big.old"
  python3 - "$work/big.old" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    f.write(os.urandom(1 << 20))
PY
  touch -d '2019-01-01' "$work/big.old"
  touch "$work/big.done"
fi
for who in stock ours; do
  printf 'pid file = %s\nuse chroot = no\nmax connections = 0\nlisten backlog = 128\n[src]\npath = %s\nread only = yes\nuid = %s\ngid = %s\n' \
    "$work/$who.pid" "$work/src" "$(id -un)" "$(id -gn)" > "$work/$who.conf"
done
rsync --daemon --no-detach --config="$work/stock.conf" --port="$stock_port" --address=127.0.0.1 &
stock_pid=$!
setsid "$repo/bin/camel-rsync" daemon --config "$work/ours.conf" --port "$our_port" --address 127.0.0.1 --no-detach \
  > "$work/ours.log" 2>&1 &
ours_pid=$!
cleanup() {
  kill "$stock_pid" 2>/dev/null || true; kill -- -"$ours_pid" 2>/dev/null || kill "$ours_pid" 2>/dev/null || true
  wait 2>/dev/null || true; [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
for p in $stock_port $our_port; do
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done

# prepare SCENARIO DEST: the state the timed pull starts from (untimed)
prepare() {
  case "$1" in
    tree100k) rm -rf "$2"; mkdir -p "$2" ;;
    tree100k-nochange) [ -f "$2/.primed" ] || { rm -rf "$2"; rsync -a "$work/src/tree/" "$2/"; touch "$2/.primed"; } ;;
    big256m-delta) rm -rf "$2"; mkdir -p "$2"; cp -p "$work/big.old" "$2/big.bin" ;;
  esac
  sync
}
path_of() { case "$1" in big256m-delta) echo big/ ;; *) echo tree/ ;; esac; }

# run SIDE WHO SCENARIO -> seconds, or FAILED
run_one() {
  local side=$1 who=$2 sc=$3 dest="$work/dest-$1-$2-${3%%-*}" src cmd
  prepare "$sc" "$dest"
  if [ "$side" = daemon ]; then
    port=$stock_port; [ "$who" = ours ] && port=$our_port
    cmd=(rsync -a --exclude=/.primed "rsync://127.0.0.1:$port/src/$(path_of "$sc")" "$dest/")
  else
    cmd=(rsync -a --exclude=/.primed "rsync://127.0.0.1:$stock_port/src/$(path_of "$sc")" "$dest/")
    [ "$who" = ours ] && cmd=("$repo/bin/camel-rsync" pull -a --exclude=/.primed
      "rsync://127.0.0.1:$stock_port/src/$(path_of "$sc")" "$dest/")
  fi
  local start end
  start=$(date +%s.%N)
  "${cmd[@]}" > "$work/last.out" 2>&1 || { echo FAILED; tail -5 "$work/last.out" >&2; return; }
  end=$(date +%s.%N)
  if [ -n "$(rsync -rlptDcn --exclude=/.primed --itemize-changes "$work/src/$(path_of "$sc")" "$dest/" | head -3)" ]; then
    echo FAILED; echo "$side $who $sc: DEST differs from the source" >&2; return
  fi
  awk -v s="$start" -v e="$end" 'BEGIN{printf "%.3f", e-s}'
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

tsv="$repo/bench/results/pull-$(date +%Y%m%d-%H%M%S).tsv"
printf 'side\tscenario\tround\twho\tseconds\n' > "$tsv"
for side in $SIDES; do
  for sc in $SCENARIOS; do
    : > "$work/t.stock"; : > "$work/t.ours"
    for r in $(seq "$RUNS"); do
      order="stock ours"; [ $((r % 2)) -eq 0 ] && order="ours stock"
      for who in $order; do
        t=$(run_one "$side" "$who" "$sc")
        printf '%s\t%s\t%s\t%s\t%s\n' "$side" "$sc" "$r" "$who" "$t" >> "$tsv"
        [ "$t" = FAILED ] || echo "$t" >> "$work/t.$who"
      done
    done
    s=$(median < "$work/t.stock"); o=$(median < "$work/t.ours")
    printf '%-7s %-18s stock %7ss  ours %7ss  ratio %sx  (runs ok: stock %s, ours %s of %s)\n' "$side" "$sc" "$s" "$o" \
      "$(awk -v a="$s" -v b="$o" 'BEGIN{printf "%.2f", b/a}')" "$(wc -l < "$work/t.stock")" "$(wc -l < "$work/t.ours")" "$RUNS"
  done
done
echo "results: $tsv"
