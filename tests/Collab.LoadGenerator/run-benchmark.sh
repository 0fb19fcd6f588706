#!/usr/bin/env bash
# Starts the server (Release, Development sign-in, a fresh data folder, on 127.0.0.1 only), runs the load generator
# against it with the arguments given, and stops the server. Run from the repository root:
#   tests/Collab.LoadGenerator/run-benchmark.sh --editors 500 --documents 100 --rate 5
#   tests/Collab.LoadGenerator/run-benchmark.sh --mode fanout --documents 100 --writers 5 --rate 5   (one identity)
# Environment: PORT (default 5090), DURABILITY (Fsync, the default, or OsBuffered), IN_MEMORY=true (no event log
# on disk: isolates the store), SKIP_BUILD=1. The server log of the last run is left in /tmp/collab-bench-server.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
port="${PORT:-5090}"
data="$(mktemp -d /tmp/collab-bench.XXXXXX)"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  dotnet build -c Release server/Collab.Server -p:CollabSkipWebBuild=true -v q -nologo
  dotnet build -c Release tests/Collab.LoadGenerator -v q -nologo
fi

# The limits meant for people get out of the way of 500 simulated users from one address (or, in fan-out mode, of
# 600 connections of one user); nothing else changes.
ASPNETCORE_ENVIRONMENT=Development \
Collab__DataFolder="$data" \
Collab__Durability="${DURABILITY:-Fsync}" \
Collab__InMemory="${IN_MEMORY:-false}" \
Collab__RateLimits__RestRequestsPerMinute=1000000 \
Collab__RateLimits__HubMessagesPerSecond=1000000 \
Collab__RateLimits__HubBurst=1000000 \
Collab__Limits__MaxConnectionsPerUser=10000 \
Logging__LogLevel__Default=Warning \
  dotnet server/Collab.Server/bin/Release/net10.0/Collab.Server.dll --urls "http://127.0.0.1:$port" > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; cp "$data/server.log" /tmp/collab-bench-server.log 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  sleep 0.2
done

dotnet tests/Collab.LoadGenerator/bin/Release/net10.0/Collab.LoadGenerator.dll \
  --server "http://127.0.0.1:$port" --server-pid "$server" "$@"
