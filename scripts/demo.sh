#!/usr/bin/env bash
# The demo night on the embedded default: installs what is missing (Debian), builds hzsync and runs
# `hzsync demo` with the arguments given (default: 3 sites, 2 nights, in /tmp/heitzsync-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/HeitzSync.Cli -c Release -nologo -clp:ErrorsOnly -v quiet >&2
exec dotnet src/HeitzSync.Cli/bin/Release/net10.0/hzsync.dll demo "$@"
