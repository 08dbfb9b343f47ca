#!/usr/bin/env bash
# Stock rsync vs camel-rsync, both pushing into the same stock rsync daemon on loopback.
# Runs alternate (which one goes first flips each round); medians; printed as ratios ours/stock.
# Env: FILES (100000) DIRS (1000) BIG_MB (256) RUNS (5) SCENARIOS ("tree100k tree100k-nochange big256m-delta")
#      BENCH_DIR (a temp dir), OURS_CMD (bin/camel-rsync push), ANCHOR_CMD (rsync)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-100000} DIRS=${DIRS:-1000} BIG_MB=${BIG_MB:-256} RUNS=${RUNS:-5}
SCENARIOS=${SCENARIOS:-"tree100k tree100k-nochange big256m-delta"}
OURS_CMD=${OURS_CMD:-"$repo/bin/camel-rsync push"}
ANCHOR_CMD=${ANCHOR_CMD:-rsync}
export LC_ALL=C.UTF-8

[ -f "$repo/target/camel-rsync-cli.jar" ] || { echo "target/camel-rsync-cli.jar is missing: run mvn -q -B -DskipTests package first" >&2; exit 1; }
command -v rsync >/dev/null || { echo "rsync is missing: apt-get install -y rsync" >&2; exit 1; }
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-bench.XXXXXX)}
mkdir -p "$work/mod"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/rsyncd.conf" <<CONF
pid file = $work/rsyncd.pid
[bench]
path = $work/mod
read only = no
uid = root
gid = root
use chroot = yes
munge symlinks = no
max connections = 0
CONF
rsync --daemon --no-detach --config="$work/rsyncd.conf" --port="$port" --address=127.0.0.1 &
daemon=$!
cleanup() { kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
url="rsync://127.0.0.1:$port/bench"

make_tree() {
  [ -f "$work/tree.done" ] && return
  python3 "$repo/bench/make_tree.py" "$work/tree" "$FILES" "$DIRS"
  touch "$work/tree.done"
}

make_big() {
  [ -f "$work/big.done" ] && return
  mkdir -p "$work/big"
  head -c $((BIG_MB << 20)) /dev/urandom > "$work/big.old"
  cp "$work/big.old" "$work/big/big.bin"
  python3 - "$work/big/big.bin" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    f.write(os.urandom(1 << 20))
PY
  touch -d '2020-01-01 00:00:00' "$work/big/big.bin"
  touch "$work/big.done"
}

# prepare SCENARIO: put the module in the state the timed push starts from (untimed)
prepare() {
  case "$1" in
    tree100k) rm -rf "$work/mod"; mkdir -p "$work/mod" ;;
    tree100k-nochange) [ -f "$work/mod/.primed" ] || { rm -rf "$work/mod"; rsync -aH "$work/tree/" "$work/mod/"; touch "$work/mod/.primed"; } ;;
    big256m-delta) rm -rf "$work/mod"; mkdir -p "$work/mod"; cp "$work/big.old" "$work/mod/big.bin"; touch -d '2019-01-01' "$work/mod/big.bin" ;;
  esac
  sync
}

src_of() { case "$1" in big256m-delta) echo "$work/big/" ;; *) echo "$work/tree/" ;; esac; }

# run WHO SCENARIO -> "seconds rss_kb literal_bytes" or "FAILED"
run_one() {
  local who=$1 sc=$2 cmd out
  cmd=$ANCHOR_CMD; [ "$who" = ours ] && cmd=$OURS_CMD
  prepare "$sc"
  out=$(/usr/bin/time -f 'TIME %e %M' $cmd -aH --delete --exclude=/.primed --stats "$(src_of "$sc")" "$url" 2>&1) || { echo FAILED; echo "$out" | tail -5 >&2; return; }
  local t rss lit
  t=$(echo "$out" | awk '/^TIME/{print $2}'); rss=$(echo "$out" | awk '/^TIME/{print $3}')
  lit=$(echo "$out" | awk -F': ' '/^Literal data/{gsub(/[ ,a-z]/,"",$2); print $2}')
  # correctness: a local checksum dry-run must find nothing to do
  if [ -n "$(rsync -rlptgoDHcn --delete --exclude=/.primed --itemize-changes "$(src_of "$sc")" "$work/mod/" | head -3)" ]; then
    echo FAILED; echo "$who $sc: target differs from source" >&2; return
  fi
  echo "$t $rss ${lit:-0}"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

mkdir -p "$repo/bench/results"
tsv="$repo/bench/results/push-$(date +%Y%m%d-%H%M%S).tsv"
printf 'scenario\tround\twho\tseconds\trss_kb\tliteral_bytes\n' > "$tsv"
declare -A ratio rssours litok
for sc in $SCENARIOS; do
  case "$sc" in big256m-delta) make_big ;; *) make_tree ;; esac
  : > "$work/a.$sc"; : > "$work/o.$sc"
  for r in $(seq "$RUNS"); do
    order="anchor ours"; [ $((r % 2)) -eq 0 ] && order="ours anchor"
    for who in $order; do
      res=$(run_one "$who" "$sc")
      if [ "$res" = FAILED ]; then printf '%s\t%s\t%s\tFAILED\t\t\n' "$sc" "$r" "$who" >> "$tsv"; continue; fi
      printf '%s\t%s\t%s\t%s\n' "$sc" "$r" "$who" "$(echo "$res" | tr ' ' '\t')" >> "$tsv"
      echo "$res" >> "$work/$( [ "$who" = ours ] && echo o || echo a ).$sc"
    done
  done
  at=$(cut -d' ' -f1 "$work/a.$sc" | median); ot=$(cut -d' ' -f1 "$work/o.$sc" | median)
  ar=$(cut -d' ' -f2 "$work/a.$sc" | median); orss=$(cut -d' ' -f2 "$work/o.$sc" | median)
  al=$(cut -d' ' -f3 "$work/a.$sc" | median); ol=$(cut -d' ' -f3 "$work/o.$sc" | median)
  ratio[$sc]=$(awk -v a="$at" -v o="$ot" 'BEGIN{printf "%.2f", o/a}')
  rssours[$sc]=$(awk -v k="$orss" 'BEGIN{printf "%.0f", k/1024}')
  litok[$sc]=$(awk -v a="$al" -v o="$ol" 'BEGIN{ if (a==0) print (o==0 ? "1.00" : "inf"); else printf "%.3f", o/a }')
  printf '%-18s stock %6ss  ours %6ss  ratio %sx  rss stock %sMB ours %sMB  literal stock %s ours %s (ratio %s)  runs ok %s/%s\n' \
    "$sc" "$at" "$ot" "${ratio[$sc]}" "$(awk -v k="$ar" 'BEGIN{printf "%.0f", k/1024}')" "${rssours[$sc]}" "$al" "$ol" "${litok[$sc]}" \
    "$(wc -l < "$work/o.$sc")" "$RUNS"
done
echo "results: $tsv"
echo "goals:"
verdict() { awk -v v="$1" -v g="$2" 'BEGIN{print (v+0 <= g+0) ? "PASS" : "MISS"}'; }
[ -n "${ratio[tree100k]:-}" ] && echo "  (a) tree100k ratio ${ratio[tree100k]} <= 1.0: $(verdict "${ratio[tree100k]}" 1.0); peak RSS ${rssours[tree100k]} MB <= 400: $(verdict "${rssours[tree100k]}" 400)"
[ -n "${ratio[tree100k-nochange]:-}" ] && echo "  (b) tree100k-nochange ratio ${ratio[tree100k-nochange]} <= 1.0: $(verdict "${ratio[tree100k-nochange]}" 1.0)"
[ -n "${ratio[big256m-delta]:-}" ] && echo "  (c) big256m-delta ratio ${ratio[big256m-delta]} <= 1.2: $(verdict "${ratio[big256m-delta]}" 1.2); literal ratio ${litok[big256m-delta]} within 5%: $(awk -v l="${litok[big256m-delta]}" 'BEGIN{print (l>=0.95 && l<=1.05) ? "PASS" : "MISS"}')"
