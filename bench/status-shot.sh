#!/usr/bin/env bash
# The status page under load, for docs/status-page.png: camel-rsync mirror on its embedded default (our daemon on
# loopback) in a scratch directory, a writer making bursts of files for SECONDS, the daemon's module made
# unwritable for a while in the middle (a target failing, then recovering), then headless Chromium's screenshot.
#
# Env: SECONDS_RUN (90) OUT (docs/status-page.png) BENCH_DIR (kept when given)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_RUN=${SECONDS_RUN:-90} OUT=${OUT:-$repo/docs/status-page.png}
for cmd in chromium python3 java; do
  command -v $cmd >/dev/null || { echo "$cmd is missing" >&2; exit 1; }
done
[ -f "$repo/target/camel-rsync-cli.jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)
work=${BENCH_DIR:-$(mktemp -d /tmp/camel-rsync-status.XXXXXX)}
mkdir -p "$work/data/source"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
page_port=$(port)
cat > "$work/mirror.properties" <<PROPS
mirror.daemon.port = $(port)
camel.server.port = $page_port
camel.management.port = $(port)
mirror.status.sample-ms = 2000
mirror.health.max-lag = 10s
mirror.retry-max-delay-ms = 2000
PROPS
cd "$work"
setsid "$repo/bin/camel-rsync" mirror --config "$work/mirror.properties" > "$work/mirror.log" 2>&1 &
pgid=$!
trap 'kill -- -"$pgid" 2>/dev/null || true; [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"' EXIT
until grep -q "full sync" "$work/mirror.log"; do sleep 0.2; done
python3 - "$work/data" "$SECONDS_RUN" <<'PY'
import os, random, subprocess, sys, time
data, run = sys.argv[1], float(sys.argv[2])
src, dst = os.path.join(data, "source"), os.path.join(data, "mirror")
start, n, broke = time.time(), 0, False
while time.time() - start < run:
    t = time.time() - start
    if not broke and t > run * 0.45:
        os.rename(dst, dst + ".away")  # the daemon's module disappears: pushes fail, changes wait
        broke = True
    if broke and t > run * 0.6 and os.path.exists(dst + ".away"):
        os.rename(dst + ".away", dst)
    d = os.path.join(src, "d%02d" % random.randrange(20))
    os.makedirs(d, exist_ok=True)
    for _ in range(random.randrange(1, 40)):
        with open(os.path.join(d, "f%04d" % random.randrange(500)), "wb") as f:
            f.write(os.urandom(random.randrange(1000, 200000)))
        n += 1
    time.sleep(random.uniform(0.2, 1.5))
print("wrote", n, "files")
PY
sleep 5
chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chromium" \
  --virtual-time-budget=4000 --window-size=1100,760 --screenshot="$OUT" "http://127.0.0.1:$page_port/" 2>/dev/null
echo "screenshot: $OUT"
