#!/usr/bin/env bash
# Runs every test: installs what is missing (setup.sh), builds the solution (the native libtorch layer
# included, through CMake), then runs each test project. Extra arguments go to `dotnet test`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash infra/local/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Pipeline.sln -c Release -nologo -v q
set +e
dotnet test Pipeline.sln -c Release --no-build -nologo -v q --logger "console;verbosity=normal" "$@" 2>&1 | tee /tmp/finetune-test.log
status=${PIPESTATUS[0]}
set -e
# One plain closing line across all projects ("Failed:" only appears when something failed).
count() { { grep -Eo "$1: +[0-9]+" /tmp/finetune-test.log || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
# The failures again at the end, with their messages, so that the tail of a long log names them.
if [ "$failed" -ne 0 ]; then
  echo "failed tests:"
  awk '/^  Failed [A-Za-z]/ {show=1} /^  (Passed|Skipped) / {show=0} /^Test Run|^Total tests/ {show=0} show' /tmp/finetune-test.log | head -200
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
