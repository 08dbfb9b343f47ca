#!/usr/bin/env bash
# -z throughput per compressor, ours vs stock rsync in the same run (alternated, medians, ratios ours/stock):
#   push:   camel-rsync push -z --zc=C vs the stock client, both into a stock rsync --daemon (our sender compresses)
#   daemon: the stock client pulls -z --zc=C from our daemon vs from a stock daemon (our daemon's sender compresses)
#   pull:   camel-rsync pull -z --zc=C vs the stock client, both from the stock daemon (our receiver decompresses)
# Data: LOG_MB of generated log lines (compresses ~5x) and RANDOM_MB of random bytes (does not), into an empty
# destination each time, over loopback: what is measured is the compressor's cost, not a slow link.
# Env: COMPRESSORS ("zstd lz4 zlibx zlib") SIDES ("push daemon pull") LOG_MB (96) RANDOM_MB (32) RUNS (3) BENCH_DIR
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPRESSORS=${COMPRESSORS:-"zstd lz4 zlibx zlib"} SIDES=${SIDES:-"push daemon pull"}
LOG_MB=${LOG_MB:-96} RANDOM_MB=${RANDOM_MB:-32} RUNS=${RUNS:-3}
export LC_ALL=C.UTF-8
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)
command -v rsync >/dev/null || { echo "rsync is missing: apt-get install -y rsync" >&2; exit 1; }

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-compress-bench.XXXXXX)}
mkdir -p "$work/src" "$work/in" "$repo/bench/results"
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stock_port=$(freeport) our_port=$(freeport)
if [ ! -f "$work/data.done" ]; then
  python3 - "$work/src/app.log" "$LOG_MB" <<'PY'
import random, sys
random.seed(7)
words = "GET POST PUT user session cache miss hit timeout retry ok error warn info db query commit".split()
with open(sys.argv[1], "w") as f:
    n, limit = 0, int(sys.argv[2]) << 20
    while n < limit:
        line = "2026-12-02T%02d:%02d:%02d.%03d %s %s id=%d took=%dms\n" % (
            random.randrange(24), random.randrange(60), random.randrange(60), random.randrange(1000),
            random.choice(words), " ".join(random.choices(words, k=4)), random.randrange(10**6), random.randrange(900))
        f.write(line)
        n += len(line)
PY
  head -c $((RANDOM_MB << 20)) /dev/urandom > "$work/src/random.bin"
  touch "$work/data.done"
fi
total_mb=$(du -sm --apparent-size "$work/src" | cut -f1)
for who in stock ours; do
  printf 'pid file = %s\nuse chroot = no\nmax connections = 0\n[src]\npath = %s\nread only = yes\nuid = %s\ngid = %s\n[in]\npath = %s\nread only = no\nuid = %s\ngid = %s\n' \
    "$work/$who.pid" "$work/src" "$(id -un)" "$(id -gn)" "$work/in" "$(id -un)" "$(id -gn)" > "$work/$who.conf"
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

# run SIDE WHO COMPRESSOR -> "seconds wire-bytes", or FAILED
run_one() {
  local side=$1 who=$2 zc=$3 dest cmd check
  case "$side" in
    push) dest="$work/in"; check="$work/in"
      cmd=(rsync -a -z --zc="$zc" --stats "$work/src/" "rsync://127.0.0.1:$stock_port/in/")
      [ "$who" = ours ] && cmd=("$repo/bin/camel-rsync" push -a -z --zc="$zc" --stats "$work/src/"
        "rsync://127.0.0.1:$stock_port/in/") ;;
    daemon) dest="$work/dest"; check=$dest; port=$stock_port; [ "$who" = ours ] && port=$our_port
      cmd=(rsync -a -z --zc="$zc" --stats "rsync://127.0.0.1:$port/src/" "$dest/") ;;
    pull) dest="$work/dest"; check=$dest
      cmd=(rsync -a -z --zc="$zc" --stats "rsync://127.0.0.1:$stock_port/src/" "$dest/")
      [ "$who" = ours ] && cmd=("$repo/bin/camel-rsync" pull -a -z --zc="$zc" --stats
        "rsync://127.0.0.1:$stock_port/src/" "$dest/") ;;
  esac
  rm -rf "$dest"; mkdir -p "$dest"; sync
  local start end
  start=$(date +%s.%N)
  "${cmd[@]}" > "$work/last.out" 2>&1 || { echo FAILED; tail -5 "$work/last.out" >&2; return; }
  end=$(date +%s.%N)
  if ! cmp -s "$work/src/app.log" "$check/app.log" || ! cmp -s "$work/src/random.bin" "$check/random.bin"; then
    echo FAILED; echo "$side $who $zc: the destination differs from the source" >&2; return
  fi
  local wire
  wire=$(grep -E "^Total bytes (sent|received)" "$work/last.out" | awk -v s="$side" '
    (s == "push" && /sent/) || (s != "push" && /received/) {gsub(",", "", $4); print $4}')
  awk -v s="$start" -v e="$end" -v w="$wire" 'BEGIN{printf "%.3f %s", e-s, w}'
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

tsv="$repo/bench/results/compress-$(date +%Y%m%d-%H%M%S).tsv"
printf 'side\tcompressor\tround\twho\tseconds\twire_bytes\n' > "$tsv"
echo "data: ${total_mb} MiB (${LOG_MB} MiB of log lines, ${RANDOM_MB} MiB random)"
for side in $SIDES; do
  for zc in $COMPRESSORS; do
    : > "$work/t.stock"; : > "$work/t.ours"; : > "$work/w.stock"; : > "$work/w.ours"
    for r in $(seq "$RUNS"); do
      order="stock ours"; [ $((r % 2)) -eq 0 ] && order="ours stock"
      for who in $order; do
        read -r t w <<< "$(run_one "$side" "$who" "$zc")"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$side" "$zc" "$r" "$who" "$t" "${w:-}" >> "$tsv"
        [ "$t" = FAILED ] || { echo "$t" >> "$work/t.$who"; echo "${w:-0}" >> "$work/w.$who"; }
      done
    done
    s=$(median < "$work/t.stock"); o=$(median < "$work/t.ours")
    ws=$(median < "$work/w.stock"); wo=$(median < "$work/w.ours")
    printf '%-6s %-5s stock %6ss %6s MiB/s  ours %6ss %6s MiB/s  time ratio %sx  wire: stock %s, ours %s bytes (%sx)  (ok: %s/%s of %s)\n' \
      "$side" "$zc" "$s" "$(awk -v m="$total_mb" -v t="$s" 'BEGIN{printf "%.0f", m/t}')" \
      "$o" "$(awk -v m="$total_mb" -v t="$o" 'BEGIN{printf "%.0f", m/t}')" \
      "$(awk -v a="$s" -v b="$o" 'BEGIN{printf "%.2f", b/a}')" "$ws" "$wo" \
      "$(awk -v a="$ws" -v b="$wo" 'BEGIN{printf "%.2f", b/a}')" \
      "$(wc -l < "$work/t.stock")" "$(wc -l < "$work/t.ours")" "$RUNS"
  done
done
echo "results: $tsv"
