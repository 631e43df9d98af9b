#!/usr/bin/env bash
# Idempotent setup for a fresh clone, run before `npm test` and `npm run demo`: npm packages, the
# Temporal CLI, the compiled build and the embedded model. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
bash scripts/install-temporal.sh >/dev/null
# The dashboard test drives Debian's chromium through playwright-core (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing chromium (apt-get install -y chromium)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
  else echo "setup: chromium missing and not root: run sudo apt-get install -y chromium" >&2; fi
fi
npm run -s build
# gemma3-270m is the default model (the demo's); smollm2-135m is the small one the model tests load.
for model in gemma3-270m smollm2-135m; do node bin/kkachi.js model fetch "$model" >/dev/null; done
