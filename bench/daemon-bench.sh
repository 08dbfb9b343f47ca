#!/usr/bin/env bash
# The stock rsync client pushing into the camel-rsync daemon vs into a stock `rsync --daemon`, same run.
# Both daemons live for the whole script on free loopback ports, each with its own module directory.
# Rounds alternate (which daemon goes first flips each round); medians; printed as ratios ours/stock.
# Every push is verified afterwards (`rsync -aHcn --delete --itemize-changes SRC/ MODULE/` prints nothing).
#
# Env: FILES (100000) DIRS (1000) BIG_MB (256) ROUNDS (5) CLIENTS (50) CLIENT_FILES (200)
#      SCENARIOS ("tree100k tree100k-nochange big256m-delta clients50")
#      BENCH_DIR (a temp dir under /tmp, removed at the end; a given one is kept and its source trees reused)
#      OURS_JAVA_OPTS (extra JVM options for our daemon), PUSH_TIMEOUT (1800 s per client)
#      PROFILE (0; 1 = one extra, untimed tree100k push into our daemon with top -H and jcmd Thread.print samples)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=${FILES:-100000} DIRS=${DIRS:-1000} BIG_MB=${BIG_MB:-256} ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50} CLIENT_FILES=${CLIENT_FILES:-200} PUSH_TIMEOUT=${PUSH_TIMEOUT:-1800} PROFILE=${PROFILE:-0}
SCENARIOS=${SCENARIOS:-"tree100k tree100k-nochange big256m-delta clients50"}
OURS_JAVA_OPTS=${OURS_JAVA_OPTS:-}
export LC_ALL=C.UTF-8
jar="$repo/target/camel-rsync-cli.jar"

[ -f "$jar" ] || { echo "target/camel-rsync-cli.jar is missing: run mvn -q -B -DskipTests package first" >&2; exit 1; }
command -v rsync >/dev/null || { echo "rsync is missing: apt-get install -y rsync" >&2; exit 1; }
command -v java >/dev/null || { echo "java is missing" >&2; exit 1; }

work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-daemon-bench.XXXXXX)}
mkdir -p "$work/src" "$work/stock" "$work/ours"
user=$(id -un) group=$(id -gn)

declare -A port pid
read -r port[stock] port[ours] < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# The same rsyncd.conf for both, apart from paths (and "use chroot", which our daemon does not implement).
for who in stock ours; do
  rm -rf "$work/$who/mod"; mkdir -p "$work/$who/mod"; : > "$work/$who/log"
  cat > "$work/$who/rsyncd.conf" <<CONF
pid file = $work/$who/pid
log file = $work/$who/log
listen backlog = 128
[mod]
path = $work/$who/mod
read only = no
use chroot = no
uid = $user
gid = $group
munge symlinks = no
max connections = 0
CONF
done

cleanup() {
  local who
  for who in ours stock; do
    [ -n "${pid[$who]:-}" ] || continue
    kill "${pid[$who]}" 2>/dev/null || true
    wait "${pid[$who]}" 2>/dev/null || true
  done
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rsync --daemon --no-detach --config="$work/stock/rsyncd.conf" --port="${port[stock]}" --address=127.0.0.1 \
  > "$work/stock/stdout" 2>&1 &
pid[stock]=$!
# bin/camel-rsync, as users start it (its JVM flags included); it execs java, so $! is the JVM itself
CAMEL_RSYNC_JAVA_OPTS="$OURS_JAVA_OPTS" "$repo/bin/camel-rsync" daemon --config "$work/ours/rsyncd.conf" \
  --port "${port[ours]}" --address 127.0.0.1 --no-detach > "$work/ours/stdout" 2>&1 &
pid[ours]=$!

# up = listening; one probe connection each (our daemon logs it as a session the client closed)
for who in stock ours; do
  up=no
  for _ in $(seq 300); do
    kill -0 "${pid[$who]}" 2>/dev/null || break
    if [ "$who" = ours ] && ! grep -q '^listening on' "$work/ours/stdout"; then sleep 0.1; continue; fi
    (exec 3<>"/dev/tcp/127.0.0.1/${port[$who]}") 2>/dev/null && { up=yes; break; }
    sleep 0.1
  done
  [ "$up" = yes ] || {
    echo "the $who daemon did not come up on port ${port[$who]}:" >&2
    cat "$work/$who/stdout" "$work/$who/log" >&2; exit 1; }
done
# Our daemon writes its own pid (ProcessHandle.current().pid()) to the pid file: it must be the JVM we started.
jpid=$(tr -d ' \n' < "$work/ours/pid")
if [ "$jpid" != "${pid[ours]}" ] || ! readlink "/proc/$jpid/exe" | grep -q java; then
  echo "our daemon's pid file says $jpid, we started ${pid[ours]} ($(readlink "/proc/${pid[ours]}/exe" || true))" >&2
  exit 1
fi
echo "stock rsyncd pid ${pid[stock]} port ${port[stock]}; camel-rsync daemon (java) pid $jpid port ${port[ours]}"
echo "work dir $work; rounds $ROUNDS; $(rsync --version | head -1); $(java -version 2>&1 | head -1)"

# ---- source data (kept between runs when BENCH_DIR is given) ----------------------------------------------------

make_tree() {
  local tag="files=$FILES dirs=$DIRS"
  [ "$(cat "$work/src/tree.done" 2>/dev/null)" = "$tag" ] && return
  echo "making the tree: $FILES files of 1 KiB in $DIRS dirs"
  rm -rf "$work/src/tree"
  python3 "$repo/bench/make_tree.py" "$work/src/tree" "$FILES" "$DIRS"
  echo "$tag" > "$work/src/tree.done"
}

make_big() {
  [ "$(cat "$work/src/big.done" 2>/dev/null)" = "$BIG_MB" ] && return
  echo "making the big file: $BIG_MB MiB, 1 MiB changed in the middle"
  rm -rf "$work/src/big"; mkdir -p "$work/src/big"
  head -c $((BIG_MB << 20)) /dev/urandom > "$work/src/big.old"
  cp "$work/src/big.old" "$work/src/big/big.bin"
  python3 - "$work/src/big/big.bin" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    f.write(os.urandom(1 << 20))
PY
  touch -d '2020-01-01 00:00:00' "$work/src/big/big.bin"
  echo "$BIG_MB" > "$work/src/big.done"
}

# CLIENTS distinct trees of CLIENT_FILES files in 10 dirs; sizes mixed: 70% <= 4 KiB (some empty), 25% 4-64 KiB,
# 5% 64-512 KiB; contents differ between clients.
make_clients() {
  local tag="clients=$CLIENTS files=$CLIENT_FILES"
  [ "$(cat "$work/src/clients.done" 2>/dev/null)" = "$tag" ] && return
  echo "making $CLIENTS client trees of $CLIENT_FILES files"
  rm -rf "$work/src/clients"
  python3 - "$work/src/clients" "$CLIENTS" "$CLIENT_FILES" <<'PY'
import os, random, sys
root, clients, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blob = os.urandom(4 << 20)
for c in range(clients):
    rnd = random.Random(c)
    for f in range(files):
        dp = os.path.join(root, f"c{c:02d}", f"d{f % 10}")
        os.makedirs(dp, exist_ok=True)
        p = rnd.random()
        size = rnd.randint(0, 4096) if p < 0.70 else rnd.randint(4097, 65536) if p < 0.95 else rnd.randint(65537, 524288)
        off = rnd.randint(0, len(blob) - size)
        with open(os.path.join(dp, f"f{f:04d}.bin"), "wb") as fh:
            fh.write(blob[off:off + size])
PY
  echo "$tag" > "$work/src/clients.done"
}

src_of() { case "$1" in big256m-delta) echo "$work/src/big" ;; *) echo "$work/src/tree" ;; esac; }

# ---- one push, timed and verified -------------------------------------------------------------------------------

# prepare WHO SCENARIO: put WHO's module in the state the timed push starts from (untimed)
prepare() {
  local mod="$work/$1/mod"
  case "$2" in
    tree100k|clients50) rm -rf "$mod"; mkdir -p "$mod" ;;
    tree100k-nochange)
      # an identical copy (made locally once, checked; the unchanged re-pushes leave it as it is)
      if [ -n "$(rsync -aHn --delete --itemize-changes "$work/src/tree/" "$mod/" | head -1)" ]; then
        rsync -aH --delete "$work/src/tree/" "$mod/"
      fi ;;
    big256m-delta)
      rm -rf "$mod"; mkdir -p "$mod"; cp "$work/src/big.old" "$mod/big.bin"; touch -d '2019-01-01' "$mod/big.bin" ;;
  esac
  sync
}

# verify SRC DST: prints the first differences (nothing when DST mirrors SRC in content, attributes and links)
verify() { rsync -aHcn --delete --itemize-changes "$1/" "$2/" 2>&1 | head -20; }

# diagnostics for a failed push: the command, its output, the daemon's log lines since the push began
report_failure() {
  local who=$1 what=$2 cmd=$3 out=$4 logfrom=$5
  {
    echo "==================== FAILED: $who daemon, $what ===================="
    echo "command: $cmd"
    echo "--- client output / differences:"; echo "$out" | tail -30
    echo "--- $who daemon log since the push began:"; tail -n +"$logfrom" "$work/$who/log" | tail -30
    [ "$who" = ours ] && { echo "--- $who daemon stdout/stderr (tail):"; tail -10 "$work/ours/stdout"; }
    echo "================================================================"
  } >&2
  echo "$who $what: $(echo "$out" | tail -3 | tr '\n' ' ')" >> "$work/failures"
}

hwm_reset() { echo 5 > "/proc/$jpid/clear_refs" 2>/dev/null || true; }   # peak RSS := current RSS (Linux >= 4.0)
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$jpid/status"; }

# push WHO SCENARIO ROUND: one timed push; appends a row to the tsv and "seconds" to $work/WHO.SCENARIO
push() {
  local who=$1 sc=$2 r=$3 src url out rc t0 t1 secs logfrom lit hwm sent recv diff cmd
  src=$(src_of "$sc"); url="rsync://127.0.0.1:${port[$who]}/mod/"
  prepare "$who" "$sc"
  rm -f "$work/$who/client.log"
  logfrom=$(( $(wc -l < "$work/$who/log") + 1 ))
  [ "$who" = ours ] && hwm_reset
  cmd="rsync -aH --delete --log-file=$work/$who/client.log --log-file-format= $src/ $url"
  t0=$(date +%s.%N)
  rc=0; out=$(timeout "$PUSH_TIMEOUT" rsync -aH --delete --log-file="$work/$who/client.log" --log-file-format= \
    "$src/" "$url" 2>&1) || rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
  read -r sent recv < <(awk '/ sent [0-9]+ bytes/{for(i=1;i<=NF;i++){if($i=="sent")s=$(i+1); if($i=="received")r=$(i+1)}} END{print s+0, r+0}' \
    "$work/$who/client.log" 2>/dev/null || echo "0 0")
  lit=-; hwm=-
  if [ "$who" = ours ]; then
    lit=$(tail -n +"$logfrom" "$work/ours/log" | awk '/sent to mod: /{for(i=1;i<=NF;i++) if($i=="literal") l=$(i-1)} END{print (l=="" ? "-" : l)}')
    hwm=$(hwm_kb)
  fi
  if [ "$rc" -ne 0 ]; then
    report_failure "$who" "$sc round $r (exit $rc)" "$cmd" "$out" "$logfrom"
    printf '%s\t%s\t%s\t%s\t%s\tno\t%s\t%s\t%s\t%s\n' "$sc" "$r" "$who" "$secs" "$rc" "$sent" "$recv" "$lit" "$hwm" >> "$tsv"
    return
  fi
  diff=$(verify "$src" "$work/$who/mod")
  if [ -n "$diff" ]; then
    report_failure "$who" "$sc round $r (exit 0, but the module differs from the source)" "$cmd" "$diff" "$logfrom"
    printf '%s\t%s\t%s\t%s\t%s\tno\t%s\t%s\t%s\t%s\n' "$sc" "$r" "$who" "$secs" "$rc" "$sent" "$recv" "$lit" "$hwm" >> "$tsv"
    return
  fi
  printf '%s\t%s\t%s\t%s\t%s\tyes\t%s\t%s\t%s\t%s\n' "$sc" "$r" "$who" "$secs" "$rc" "$sent" "$recv" "$lit" "$hwm" >> "$tsv"
  echo "$secs $sent $lit $hwm" >> "$work/$who.$sc"
  printf '  %-18s round %s %-5s %8ss  sent %s B  literal %s  %s\n' "$sc" "$r" "$who" "$secs" "$sent" "$lit" \
    "$([ "$who" = ours ] && echo "peak RSS $((hwm / 1024)) MB")"
}

# stock daemon's memory for reference: summed RSS of the daemon and all its descendants, sampled
stock_tree_rss_kb() {
  ps -e -o pid=,ppid=,rss= | awk -v root="${pid[stock]}" '
    {par[$1]=$2; rss[$1]=$3} END {
      for (p in par) { q=p; while (q!="" && q!=root && q>1) q=par[q]; if (q==root) t+=rss[p] }
      print t+0 }'
}

# clients WHO ROUND: CLIENTS stock clients at once, each its own tree into mod/cNN/
clients() {
  local who=$1 r=$2 i c rcs=0 bad=0 t0 t1 secs logfrom hwm=- sampler= stockpeak=- failed=
  local -a pids
  prepare "$who" clients50
  logfrom=$(( $(wc -l < "$work/$who/log") + 1 ))
  [ "$who" = ours ] && hwm_reset
  if [ "$who" = stock ]; then
    ( peak=0; while :; do k=$(stock_tree_rss_kb); [ "$k" -gt "$peak" ] && peak=$k && echo "$peak" > "$work/stock.rsspeak"; sleep 0.2; done ) &
    sampler=$!
    echo 0 > "$work/stock.rsspeak"
  fi
  t0=$(date +%s.%N)
  for i in $(seq 0 $((CLIENTS - 1))); do
    c=$(printf 'c%02d' "$i")
    timeout "$PUSH_TIMEOUT" rsync -aH --delete "$work/src/clients/$c/" "rsync://127.0.0.1:${port[$who]}/mod/$c/" \
      > "$work/$who/client-$c.out" 2>&1 &
    pids[i]=$!
  done
  for i in $(seq 0 $((CLIENTS - 1))); do
    if ! wait "${pids[i]}"; then rcs=$((rcs + 1)); failed+=" c$(printf %02d "$i")"; fi
  done
  t1=$(date +%s.%N)
  [ -n "$sampler" ] && { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; stockpeak=$(cat "$work/stock.rsspeak"); }
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
  [ "$who" = ours ] && hwm=$(hwm_kb)
  for i in $(seq 0 $((CLIENTS - 1))); do
    c=$(printf 'c%02d' "$i")
    d=$(verify "$work/src/clients/$c" "$work/$who/mod/$c")
    if [ -n "$d" ]; then bad=$((bad + 1)); echo "$d" > "$work/$who/client-$c.diff"; fi
  done
  local ok=yes; [ "$rcs" -eq 0 ] && [ "$bad" -eq 0 ] || ok=no
  printf '%s\t%s\t%s\t%s\t%s\t%s\t-\t-\t-\t%s\n' clients50 "$r" "$who" "$secs" "$rcs" \
    "$([ $ok = yes ] && echo yes || echo "no:$bad")" "$([ "$who" = ours ] && echo "$hwm" || echo "$stockpeak")" >> "$tsv"
  if [ "$ok" = no ]; then
    local first; first=$(echo "$failed" | awk '{print $1}')
    [ -z "$first" ] && first=$(ls "$work/$who"/client-*.diff 2>/dev/null | head -1 | sed 's/.*client-\(c[0-9]*\).diff/\1/')
    report_failure "$who" "clients50 round $r: $rcs of $CLIENTS clients exited non-zero ($failed), $bad trees differ" \
      "rsync -aH --delete $work/src/clients/$first/ rsync://127.0.0.1:${port[$who]}/mod/$first/ (x$CLIENTS at once)" \
      "$(cat "$work/$who/client-$first.out" 2>/dev/null; cat "$work/$who/client-$first.diff" 2>/dev/null)" "$logfrom"
    rm -f "$work/$who"/client-*.diff
    return
  fi
  echo "$secs 0 - $([ "$who" = ours ] && echo "$hwm" || echo "$stockpeak")" >> "$work/$who.clients50"
  printf '  %-18s round %s %-5s %8ss  %s clients exit 0, all intact  %s\n' clients50 "$r" "$who" "$secs" "$CLIENTS" \
    "$([ "$who" = ours ] && echo "peak RSS $((hwm / 1024)) MB" || echo "summed RSS peak (sampled) $((stockpeak / 1024)) MB")"
}

# profile: one untimed tree100k push into our daemon: CPU time per JVM thread (from /proc/PID/task/*/stat, the
# figures top -H shows, sampled every 0.5 s) and the top frames of jcmd Thread.print samples (every 1 s)
profile() {
  local out="$repo/bench/results/daemon-$stamp-profile.txt" p
  echo "profiling one tree100k push into our daemon (untimed) -> $out"
  prepare ours tree100k
  rsync -aH --delete "$work/src/tree/" "rsync://127.0.0.1:${port[ours]}/mod/" > /dev/null 2>&1 &
  p=$!
  python3 - "$jpid" "$p" "${out%.txt}-jstack.txt" > "$out" <<'PY'
import collections, os, re, subprocess, sys, time
jpid, client, jstack_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tick = os.sysconf("SC_CLK_TCK")
def sample():
    res = {}
    for tid in os.listdir(f"/proc/{jpid}/task"):
        try:
            st = open(f"/proc/{jpid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        res[tid] = (name, (int(f[11]) + int(f[12])) / tick)
    return res
first = sample()
cpu, names = {}, {}
stacks = []
t0 = time.time(); last_j = 0.0
while os.path.exists(f"/proc/{client}") and open(f"/proc/{client}/stat").read().split()[2] != "Z":
    for tid, (name, c) in sample().items():
        names[tid] = name
        cpu[tid] = max(cpu.get(tid, 0.0), c - first.get(tid, (name, 0.0))[1])
    if time.time() - last_j >= 1:
        last_j = time.time()
        stacks.append(subprocess.run(["jcmd", jpid, "Thread.print"], capture_output=True, text=True).stdout)
    time.sleep(0.5)
wall = time.time() - t0
open(jstack_file, "w").write("\n".join(stacks))
by_name = collections.Counter()
for tid, c in cpu.items():
    by_name[re.sub(r"[0-9]+", "#", names[tid])] += c
print(f"# one tree100k push into our daemon: {wall:.1f} s wall (sampled), {sum(cpu.values()):.1f} s JVM CPU")
print("# CPU seconds by thread name (digits folded to #), as top -H accumulates them")
for n, c in by_name.most_common(15):
    print(f"{c:8.2f}  {n}")
print(f"\n# {len(stacks)} jcmd Thread.print samples: top frame and first camel-rsync frame of RUNNABLE application threads")
frames = collections.Counter()
states = collections.Counter()
skip = re.compile(r"EPoll|Reference Handler|Finalizer|Signal Dispatcher|Common-Cleaner|Attach Listener|Notification|Service Thread|Sweeper|CompilerThread|DestroyJavaVM|main")
for dump in stacks:
    for block in dump.split("\n\n"):
        lines = [l.strip() for l in block.strip().splitlines()]
        if len(lines) < 2 or not lines[0].startswith('"'):
            continue
        name = lines[0].split('"')[1]
        if skip.search(name) or not lines[1].startswith("java.lang.Thread.State:"):
            continue
        state = lines[1].split(":", 1)[1].strip()
        at = [l for l in lines[2:] if l.startswith("at ")]
        states[(re.sub(r"[0-9]+", "#", name), state, at[0] if at else "")] += 1
        if state == "RUNNABLE" and at and not skip.search(at[0]):
            ours = [l for l in at if "io.camelrsync" in l]
            frames[at[0] + ((" <- " + ours[0]) if ours and ours[0] != at[0] else "")] += 1
for f, n in frames.most_common(20):
    print(f"{n:5d}  {f}")
print("\n# thread, state, top frame (all application threads), by count")
for (n, st, at), c in states.most_common(20):
    print(f"{c:5d}  {n} | {st} | {at}")
PY
  wait "$p" || echo "  (the profiled push exited non-zero)"
  sed 's/^/  /' "$out"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {printf "%.10g\n", (a[NR/2]+a[NR/2+1])/2}}'; }
col() { [ -s "$1" ] && cut -d' ' -f"$2" "$1" | grep -v '^-$' | median || echo nan; }

# ---- the rounds ---------------------------------------------------------------------------------------------------

mkdir -p "$repo/bench/results"
stamp=$(date +%Y%m%d-%H%M%S)
tsv="$repo/bench/results/daemon-$stamp.tsv"
printf 'scenario\tround\twho\tseconds\texit\tverified\tclient_sent_bytes\tclient_received_bytes\tours_literal_bytes\tpeak_rss_kb\n' > "$tsv"
: > "$work/failures"
start=$(date +%s)
for sc in $SCENARIOS; do
  case "$sc" in
    tree100k|tree100k-nochange) make_tree ;;
    big256m-delta) make_big ;;
    clients50) make_clients ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
  rm -f "$work/stock.$sc" "$work/ours.$sc"
  echo "== $sc"
  for r in $(seq "$ROUNDS"); do
    order="stock ours"; [ $((r % 2)) -eq 0 ] && order="ours stock"
    for who in $order; do
      if [ "$sc" = clients50 ]; then clients "$who" "$r"; else push "$who" "$sc" "$r"; fi
    done
  done
  [ "$sc" = tree100k ] && [ "$PROFILE" = 1 ] && profile
done

# ---- summary ------------------------------------------------------------------------------------------------------

secs_or_dash() { [ "$1" = nan ] && echo - || echo "${1}s"; }
goal_of() { case "$1" in tree100k) echo 0.9 ;; tree100k-nochange|big256m-delta) echo 1.1 ;; *) echo "" ;; esac; }
label_of() { case "$1" in tree100k) echo "(a)" ;; tree100k-nochange) echo "(b)" ;; big256m-delta) echo "(c)" ;; clients50) echo "(d)" ;; esac; }
echo
printf '%-22s %10s %10s %8s %-22s %s\n' scenario "stock med" "ours med" ours/stk goal result
rc_all=0
for sc in $SCENARIOS; do
  st=$(col "$work/stock.$sc" 1); ot=$(col "$work/ours.$sc" 1)
  nst=$( [ -f "$work/stock.$sc" ] && wc -l < "$work/stock.$sc" || echo 0); not=$( [ -f "$work/ours.$sc" ] && wc -l < "$work/ours.$sc" || echo 0)
  ratio=$(awk -v a="$st" -v o="$ot" 'BEGIN{ if (a=="nan" || o=="nan" || a==0) print "-"; else printf "%.2f", o/a }')
  g=$(goal_of "$sc")
  if [ "$not" -lt "$ROUNDS" ]; then result="FAILED ($((ROUNDS - not))/$ROUNDS ours runs)"; rc_all=1
  elif [ -n "$g" ]; then result=$(awk -v r="$ratio" -v g="$g" 'BEGIN{print (r+0 <= g+0) ? "met" : "missed"}')
  else result=met; fi
  [ "$nst" -lt "$ROUNDS" ] && result="$result; stock failed $((ROUNDS - nst))/$ROUNDS"
  if [ -n "$g" ]; then goal="<= ${g}x"; else goal="all $CLIENTS intact"; fi
  printf '%-22s %10s %10s %8s %-22s %s\n' "$(label_of "$sc") $sc" "$(secs_or_dash "$st")" "$(secs_or_dash "$ot")" "$ratio" "$goal" "$result"
done
echo
for sc in $SCENARIOS; do
  if [ "$sc" = clients50 ]; then
    printf '%-22s ours peak RSS (VmHWM, median of rounds) %s MB; stock daemon summed RSS peak (sampled) %s MB\n' \
      "$(label_of "$sc") $sc" "$(col "$work/ours.$sc" 4 | awk '{printf "%.0f", $1/1024}')" \
      "$(col "$work/stock.$sc" 4 | awk '{printf "%.0f", $1/1024}')"
  else
    printf '%-22s client sent bytes: stock %s ours %s; ours literal %s; ours peak RSS %s MB\n' "$(label_of "$sc") $sc" \
      "$(col "$work/stock.$sc" 2)" "$(col "$work/ours.$sc" 2)" "$(col "$work/ours.$sc" 3)" \
      "$(col "$work/ours.$sc" 4 | awk '{printf "%.0f", $1/1024}')"
  fi
done
[ -d "/proc/$jpid" ] && echo "our daemon at the end: RSS $(( $(awk '/^VmRSS/{print $2}' "/proc/$jpid/status") / 1024 )) MB, peak since the last reset $(( $(hwm_kb) / 1024 )) MB"
echo "total $(( $(date +%s) - start )) s; per-run rows: $tsv"
if [ -s "$work/failures" ]; then
  echo "FAILURES:"; sed 's/^/  /' "$work/failures"; rc_all=1
fi
exit "$rc_all"
