#!/usr/bin/env bash
# Mirror conformance at length: the randomized operations of MirrorConformanceTest (src/test/.../Conformance.java),
# SEEDS seeds of OPS operations each, a QUIET_MS quiet period, then source and target compared entry by entry
# (names as bytes, types, contents, modes, mtimes, symlink targets, hard-link groups), against a stock
# `rsync --daemon` and against our own daemon (embedded, as the mirror's default runs it). The kinds alternate
# seed by seed. Prints a line per run and `identical N/M` per kind; exit status 1 when any run differs.
#
# A differing run writes a report (its differences, a replay line, and a timeline of the operations beside the
# mirror's log) into REPORT_DIR. A seed replays the same operations (not the same timing) with
#   mvn -B -ntp -q test -Dtest=MirrorConformanceTest -Dconformance.kinds=K -Dconformance.seed=S -Dconformance.ops=N ...
#
# Env: SEEDS (50) OPS (300) QUIET_MS (2000) FIRST_SEED (random; seeds are FIRST_SEED..FIRST_SEED+SEEDS-1)
#      KINDS ("stock,ours") SKIP (operations or name classes left out, e.g. "backslash,not-utf8": see RandomOps)
#      SETTLE_MS (15000: how much longer than the quiet period a target may take to become identical)
#      REPORT_DIR (bench/results/conformance-DATE/) TIMEOUT (seconds for the whole run; default from SEEDS and OPS)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SEEDS=${SEEDS:-50} OPS=${OPS:-300} QUIET_MS=${QUIET_MS:-2000} FIRST_SEED=${FIRST_SEED:-$((RANDOM * 32768 + RANDOM))}
KINDS=${KINDS:-stock,ours} SKIP=${SKIP:-} SETTLE_MS=${SETTLE_MS:-15000}
stamp=$(date +%Y%m%d-%H%M%S)
REPORT_DIR=${REPORT_DIR:-$repo/bench/results/conformance-$stamp}
kinds_n=$(echo "$KINDS" | tr ',' '\n' | grep -c .)
# each seed has its own deadlines (operations: 60 s + 1 s each; settling: SETTLE_MS); this is the backstop
TIMEOUT=${TIMEOUT:-$((SEEDS * kinds_n * (60 + OPS + (QUIET_MS + SETTLE_MS) / 1000 + 30)))}
export LC_ALL=C.UTF-8 LANG=C.UTF-8 # file names are bytes; the JVM maps them through the locale, as surefire's

for cmd in rsync java mvn timeout; do
  command -v $cmd >/dev/null || { echo "$cmd is missing" >&2; exit 1; }
done

cd "$repo"
echo "compiling the tests..."
mvn -q -B -ntp test-compile
classpath_file="$repo/target/conformance.classpath"
if [ ! -s "$classpath_file" ] || [ pom.xml -nt "$classpath_file" ]; then
  mvn -q -B -ntp org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$classpath_file"
fi
mkdir -p "$REPORT_DIR" "$repo/bench/results"
results="$repo/bench/results/conformance-$stamp.tsv"

echo "seeds $FIRST_SEED..$((FIRST_SEED + SEEDS - 1)), $OPS operations, ${QUIET_MS} ms quiet," \
  "kinds $KINDS${SKIP:+, leaving out $SKIP}"
echo "reports of differing runs: $REPORT_DIR; rows: $results; at most ${TIMEOUT} s"
status=0
# the mirror's routes are read from routes/ in the working directory, as MirrorRun does in the tests
timeout --kill-after=30 "$TIMEOUT" java --add-opens java.base/sun.nio.fs=ALL-UNNAMED \
  -cp "$repo/target/test-classes:$repo/target/classes:$(cat "$classpath_file")" \
  -Dconformance.seeds="$SEEDS" -Dconformance.first-seed="$FIRST_SEED" -Dconformance.ops="$OPS" \
  -Dconformance.quiet-ms="$QUIET_MS" -Dconformance.settle-ms="$SETTLE_MS" -Dconformance.kinds="$KINDS" \
  -Dconformance.skip="$SKIP" -Dconformance.report-dir="$REPORT_DIR" -Dconformance.results="$results" \
  io.camelrsync.mirror.Conformance &
runner=$!
# timeout runs in a process group of its own: a Ctrl-C or kill of this script must reach it (it passes the
# signal on to the JVM, whose shutdown hook stops the daemons it started)
trap 'kill "$runner" 2>/dev/null || true' INT TERM
wait "$runner" || status=$?
[ "$status" -ne 124 ] || echo "TIMEOUT: the run took longer than ${TIMEOUT} s" >&2
rmdir "$REPORT_DIR" 2>/dev/null || true # nothing differed
exit "$status"
