#!/usr/bin/env bash
# The peer run: Hocuspocus 4.7 + SQLite (../shared/tools/peer-load) beside the Release Collab server, both driven by
# the same thin generator (thinload.mjs) with the same arguments, each server's CPU read from /proc/PID/stat over
# each run (connect, load, 2 s drain) and divided by the updates sent. Prints one table. Run from the repository root:
#   tests/Collab.LoadGenerator/run-peer-compare.sh --docs 100 --writers 5 --rates "5 20" --seconds 15
# Options: --docs M (100), --writers W (5), --rates "R1 R2 …" keystrokes/s per writer (one run per rate and server;
# "5 20"), --seconds S (15), --order "hocuspocus collab" (which server runs first at each rate; collab-hp drives Collab
# through its /hocuspocus endpoint with thinload's Hocuspocus client, the peer's own framing), --warmup S (5: an
# unmeasured run of S seconds against each server first, so neither is measured cold; 0 to skip), --protocol
# messagepack|json (Collab's hub protocol).
# Environment: PEER_PORT (4300), COLLAB_PORT (5300), SKIP_BUILD=1, PEER_LOAD (default ../shared/tools/peer-load),
# PEER_NODE_MODULES (a node_modules folder of an earlier install to copy instead of running npm install),
# DURABILITY (Fsync), KEEP=1 (keep the temporary folder with both servers' logs and data).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
docs=100 writers=5 rates="5 20" seconds=15 order="hocuspocus collab" warmup=5 protocol=messagepack
while [ $# -gt 0 ]; do
  case "$1" in
    --docs) docs="$2"; shift 2 ;;
    --writers) writers="$2"; shift 2 ;;
    --rates|--rate) rates="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --order) order="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --protocol) protocol="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
peer_port="${PEER_PORT:-4300}"
collab_port="${COLLAB_PORT:-5300}"
peer_load="${PEER_LOAD:-$repo/../shared/tools/peer-load}"
[ -f "$peer_load/thinload.mjs" ] || { echo "no thinload.mjs in $peer_load (set PEER_LOAD)" >&2; exit 2; }

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  dotnet build -c Release server/Collab.Server -p:CollabSkipWebBuild=true -v q -nologo
fi

work="$(mktemp -d /tmp/collab-peer.XXXXXX)"
hp_pid="" collab_pid=""
cleanup() {
  [ -n "$hp_pid" ] && kill "$hp_pid" 2>/dev/null && wait "$hp_pid" 2>/dev/null
  [ -n "$collab_pid" ] && kill "$collab_pid" 2>/dev/null && wait "$collab_pid" 2>/dev/null
  if [ "${KEEP:-0}" = "1" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The peer and the generator, set up from scratch in a temporary folder (npm install; better-sqlite3 is a native
# module: rebuilt when its prebuilt binary does not load on this Node).
cp "$peer_load"/package.json "$peer_load"/package-lock.json "$peer_load"/*.mjs "$work"/
# thinload keys each update by client * 1e9 + clock, which is past 2^53 for any client id over 9,007 (99 % of random
# uint32 ids): consecutive clocks of one writer then share a key, and an update sent while the previous one is still in
# flight is never counted as seen (its latency is misattributed too) — so every run whose latency exceeds a writer's
# interval undercounts "seen". The copy keys by client * 2^21 + clock instead (exact below 2^53: clocks < 2,097,152).
sed -i 's|const key = (c, k) => c \* 1e9 + k;|const key = (c, k) => c * 2097152 + k;|' "$work/thinload.mjs"
grep -q 'c \* 2097152 + k' "$work/thinload.mjs" || { echo "thinload.mjs has changed: its (client, clock) key was not patched" >&2; exit 2; }
(
  cd "$work"
  if [ -n "${PEER_NODE_MODULES:-}" ]; then
    cp -r "$PEER_NODE_MODULES" node_modules
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
  if ! node -e "new (require('better-sqlite3'))(':memory:')" 2>/dev/null; then
    npm rebuild better-sqlite3 --loglevel=error
  fi
)

cpu_seconds() { # utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat, after the command name)
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}
wait_for_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on port $1" >&2; return 1
}

(cd "$work" && exec node hocuspocus-server.mjs "$peer_port" "$work/hp.sqlite") > "$work/hocuspocus.log" 2>&1 &
hp_pid=$!

# Collab as in production (Release, Production environment, LiteDB with fsync) with the development sign-in on and a
# key of this run; the per-user limits are lifted because every simulated connection is the one user "load".
ASPNETCORE_ENVIRONMENT=Production \
Collab__DataFolder="$work/collab-data" \
Collab__Durability="${DURABILITY:-Fsync}" \
Collab__Auth__DevTokens=true \
Collab__Auth__SigningKey="peer-run-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
Collab__RateLimits__RestRequestsPerMinute=1000000 \
Collab__RateLimits__HubMessagesPerSecond=1000000 \
Collab__RateLimits__HubBurst=1000000 \
Collab__Limits__MaxConnectionsPerUser=10000 \
Logging__LogLevel__Default=Warning \
  dotnet server/Collab.Server/bin/Release/net10.0/Collab.Server.dll --urls "http://127.0.0.1:$collab_port" > "$work/collab.log" 2>&1 &
collab_pid=$!
wait_for_port "$peer_port"
wait_for_port "$collab_port"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$collab_port/healthz" > /dev/null 2>&1 && break; sleep 0.2; done

token="$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"user":"load"}' "http://127.0.0.1:$collab_port/api/dev/token" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')"
for ((d = 0; d < docs; d++)); do
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d "{\"id\":\"d-$d\",\"title\":\"d-$d\"}" "http://127.0.0.1:$collab_port/api/documents"
done
echo "Hocuspocus (pid $hp_pid) on :$peer_port, Collab (pid $collab_pid) on :$collab_port, documents d-0 … d-$((docs - 1))"

# One thinload run against one server; prints its JSON line with the server's CPU seconds and the load averages added.
run() { # target rate seconds
  local target="$1" rate="$2" secs="$3" pid url cpu0 cpu1 load0 load1 out
  local wire="$target"
  case "$target" in
    collab) pid=$collab_pid url="http://127.0.0.1:$collab_port" ;;
    collab-hp) pid=$collab_pid url="http://127.0.0.1:$collab_port/hocuspocus" wire=hocuspocus ;; # Collab's Hocuspocus endpoint
    *) pid=$hp_pid url="http://127.0.0.1:$peer_port" ;;
  esac
  load0="$(cut -d' ' -f1 /proc/loadavg)"
  cpu0="$(cpu_seconds "$pid")"
  # The generator's own CPU (GNU time when installed): on 2 cores it shares the machine with the server it drives.
  local timer=() t0 t1 gen="-1 -1"
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%U %S" -o "$work/generator-time")
  t0="$(date +%s.%N)"
  out="$(cd "$work" && "${timer[@]}" node thinload.mjs --target "$wire" --url "$url" --token "$token" --prefix d --protocol "$protocol" \
    --docs "$docs" --writers "$writers" --rate "$rate" --seconds "$secs")"
  t1="$(date +%s.%N)"
  cpu1="$(cpu_seconds "$pid")"
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  [ -x /usr/bin/time ] && gen="$(tail -n 1 "$work/generator-time")"
  node -e 'const r=JSON.parse(process.argv[1]); r.cpuSeconds=+(process.argv[2]-process.argv[3]).toFixed(2); r.load=process.argv[4]; r.target=process.argv[5];
    const [u, s] = process.argv[6].split(" ").map(Number); r.generatorCpuPercent = u < 0 ? null : Math.round(100 * (u + s) / (process.argv[8] - process.argv[7])); console.log(JSON.stringify(r))' \
    "$out" "$cpu1" "$cpu0" "$load0 → $load1" "$target" "$gen" "$t0" "$t1"
}

if [ "$warmup" != "0" ]; then
  first_rate="${rates%% *}"
  for target in $order; do
    echo "warm-up (not measured): $target $(run "$target" "$first_rate" "$warmup")"
  done
fi

results="$work/results.jsonl"
: > "$results"
for rate in $rates; do
  for target in $order; do
    line="$(run "$target" "$rate" "$seconds")"
    echo "$line"
    echo "$line" >> "$results"
  done
done

echo
echo "$docs documents × $writers writers + 1 observer each, ${seconds} s per run; CPU from /proc/PID/stat over each whole run (connect, load, 2 s drain) ÷ updates sent"
echo
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const n = x => x.toLocaleString("en-US");
console.log("| run | server | seen / sent | seen per s | p50 / p95 / p99 / max ms | CPU s | CPU per update | generator CPU | load |");
console.log("|---|---|---|---:|---|---:|---:|---:|---|");
for (const r of rows) {
  const name = { collab: "Collab (SignalR)", "collab-hp": "Collab (Hocuspocus protocol)" }[r.target] ?? "Hocuspocus";
  const perUpdate = r.sent ? Math.round(r.cpuSeconds * 1e6 / r.sent) + " µs" : "—";
  const errors = r.errors ? ` (${n(r.errors)} errors)` : "";
  console.log(`| ${r.docs} × ${r.writers} × ${r.rate}/s | ${name} | ${n(r.seen)} / ${n(r.sent)}${errors} | ${n(r.seenPerSec)} | ${r.p50} / ${r.p95} / ${r.p99} / ${r.max} | ${r.cpuSeconds.toFixed(2)} | ${perUpdate} | ${r.generatorCpuPercent == null ? "—" : r.generatorCpuPercent + " % of a core"} | ${r.load} |`);
}' "$results"
