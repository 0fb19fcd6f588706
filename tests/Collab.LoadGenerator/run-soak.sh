#!/usr/bin/env bash
# The soak (not CI): mixed load against a server process that is SIGKILLed every few minutes and restarted on the same
# data folder; reports acked updates, losses (must be 0), server RSS and ack p99 per interval. Run from the repository
# root, e.g. the issue's 30 minutes with a kill every 3 minutes:
#   tests/Collab.LoadGenerator/run-soak.sh --minutes 30 --kill-every 180
# Other options: --editors 24 --documents 6 --rate 5 (updates/s per editor) --interval 30 (s per reported row).
# SKIP_BUILD=1 skips the Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  dotnet build -c Release server/Collab.Server -p:CollabSkipWebBuild=true -v q -nologo
  dotnet build -c Release tests/Collab.LoadGenerator -v q -nologo
fi
exec dotnet tests/Collab.LoadGenerator/bin/Release/net10.0/Collab.LoadGenerator.dll soak \
  --server-dll server/Collab.Server/bin/Release/net10.0/Collab.Server.dll "$@"
