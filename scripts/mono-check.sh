#!/usr/bin/env bash
# Windows PowerShell 5.1 stand-in: runs the module's AssemblyResolve handler on Mono (the .NET Framework 4.7.2 API
# surface), in a program (tests/HeitzSync.MonoCheck) that holds none of the module's assemblies beside it, after
# "another module" loaded older System.Memory (4.0.1.1) and System.Runtime.CompilerServices.Unsafe (4.0.4.1).
# Passes when requests by name get the module's own copies and Core's JSON runs on them.
# Not part of CI (no Mono there). Needs: apt-get install mono-runtime mono-devel (mono-devel holds the facades,
# netstandard.dll among them, that a netstandard2.0 library needs on Mono).
# What it does not prove: binding on .NET Framework itself (Mono is more lenient about versions), nor PowerShell 5.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v mono >/dev/null || [ ! -f /usr/lib/mono/4.5/Facades/netstandard.dll ]; then
    echo "mono-check: needs Mono and its facades: apt-get install mono-runtime mono-devel" >&2
    exit 2
fi
work=$(mktemp -d /tmp/hz-mono-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet build "$root/tests/HeitzSync.MonoCheck" -c Release -nologo -clp:ErrorsOnly -o "$work/build" >/dev/null
# The module folder as build.ps1 lays it out: the cmdlet assembly and its netstandard2.0 dependencies.
dotnet build "$root/src/HeitzSync.PowerShell" -c Release -nologo -clp:ErrorsOnly -o "$work/module" >/dev/null
mkdir "$work/run"
cp "$work/build/HeitzSync.MonoCheck.exe" "$work/run/"
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
mono "$work/run/HeitzSync.MonoCheck.exe" "$work/module" \
    "$packages/system.memory/4.5.3/lib/netstandard2.0/System.Memory.dll" \
    "$packages/system.runtime.compilerservices.unsafe/4.5.2/lib/netstandard2.0/System.Runtime.CompilerServices.Unsafe.dll"
