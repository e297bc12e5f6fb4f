#!/usr/bin/env bash
# Runs every test: installs what is missing (setup.sh), builds the solution (the native libtorch layer
# included, through CMake), then runs each test project. Extra arguments go to `dotnet test`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash infra/local/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Pipeline.sln -c Release -nologo -v q
dotnet test Pipeline.sln -c Release --no-build -nologo -v q --logger "console;verbosity=normal" "$@" 2>&1 | tee /tmp/finetune-test.log
# One plain closing line across all projects.
passed=$(grep -Eo 'Passed: +[0-9]+' /tmp/finetune-test.log | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' /tmp/finetune-test.log | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' /tmp/finetune-test.log | awk '{s+=$2} END {print s+0}')
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
