#!/usr/bin/env bash
# Builds HeitzSync and runs every xunit test project; prints the totals as the last line:
# "N passed, N failed" (", N skipped" when any). Extra arguments go to `dotnet test` (e.g. --filter Category=Ftp).
# HZ_TEST_JOBS test assemblies run at a time (2 by default; 1 runs them one after another).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-services.sh || exit 2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build HeitzSync.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/hz-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Interrupted: the dotnet test processes of the running assemblies end too (children of each background job).
trap 'for job in $(jobs -p); do pkill -TERM -P "$job"; kill "$job"; done 2>/dev/null; exit 130' INT TERM

# Each test assembly runs in a test host of its own with a Firebird lock folder of its own, so that two can run at once.
# Embedded Firebird keys its lock files by inode in one folder (see tests/HeitzSync.Core.Tests/AssemblyInfo.cs): with
# one folder, a database created in one process could reuse the inode of one another process still holds. libfbclient
# reads FIREBIRD_LOCK from the process environment, so it is set before the test host starts; the hzsync and gbak
# processes a test starts inherit it, and no two assemblies ever open the same database file.
# The longest assemblies start first, so that the short ones fill the other lane meanwhile.
projects=()
for name in HeitzSync.Fault.Tests HeitzSync.Core.Tests HeitzSync.Firebird.Tests HeitzSync.Cli.Tests HeitzSync.PowerShell.Tests; do
  [ -f "tests/$name/$name.csproj" ] && projects+=("$name")
done
for project in tests/*/*.Tests.csproj; do   # a test project added later runs too, after those
  name=$(basename "$project" .csproj)
  [[ " ${projects[*]} " == *" $name "* ]] || projects+=("$name")
done

run() {
  local name=$1
  shift
  mkdir -p "$work/lock-$name"
  FIREBIRD_LOCK="$work/lock-$name" dotnet test "tests/$name/$name.csproj" -c Release --no-build -nologo "$@" >"$work/$name.log" 2>&1
  echo $? >"$work/$name.status"
  flock "$work/output.lock" cat "$work/$name.log"   # each assembly's output whole, once it is done
}

running=0
for name in "${projects[@]}"; do
  if [ "$running" -ge "${HZ_TEST_JOBS:-2}" ]; then
    wait -n
    running=$((running - 1))
  fi
  run "$name" "$@" &
  running=$((running + 1))
done
wait

# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ...". An assembly
# whose run failed without a failed test (a crash, a test host that did not start) counts as one failure.
passed=0 failed=0 skipped=0 assemblies=0
for name in "${projects[@]}"; do
  read -r p f s n < <(awk '
    /(Passed|Failed)! +- +Failed: / {
      for (i = 1; i <= NF; i++) {
        gsub(",", "", $(i+1))
        if ($i == "Failed:") f += $(i+1)
        if ($i == "Passed:") p += $(i+1)
        if ($i == "Skipped:") s += $(i+1)
      }
      n++
    }
    END { printf "%d %d %d %d\n", p, f, s, n }' "$work/$name.log")
  status=$(cat "$work/$name.status" 2>/dev/null || echo 1)
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s)) assemblies=$((assemblies + n))
done
if [ "$assemblies" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
[ "$failed" -eq 0 ]
