#!/usr/bin/env bash
# Regenerates the committed workflow histories under test/replay/ (see scripts/record-histories.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node -r ./test/workflows/register-ts.js scripts/record-histories.ts "$@"
