#!/usr/bin/env bash
# Builds HeitzSync and runs every xunit test project; prints the totals as the last line:
# "N passed, N failed" (", N skipped" when any). Extra arguments go to `dotnet test` (e.g. --filter Category=Ftp).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-services.sh || exit 2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build HeitzSync.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
log=$(mktemp)
# One test assembly at a time (-m:1): embedded Firebird lock files are keyed by inode, see tests/HeitzSync.Core.Tests/AssemblyInfo.cs.
dotnet test HeitzSync.sln -c Release --no-build -nologo -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
read -r passed failed skipped assemblies < <(awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) {
      gsub(",", "", $(i+1))
      if ($i == "Failed:") f += $(i+1)
      if ($i == "Passed:") p += $(i+1)
      if ($i == "Skipped:") s += $(i+1)
    }
    n++
  }
  END { printf "%d %d %d %d\n", p, f, s, n }' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # a crash or build error counts as a failure
if [ "$assemblies" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
[ "$failed" -eq 0 ]
