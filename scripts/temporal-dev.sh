#!/usr/bin/env bash
# `npm run temporal`: a local Temporal dev server with SQLite persistence under KKACHI_HOME (default
# .kkachi/), the Web UI on :8233 and Kkachi's search attributes registered. Extra arguments are passed
# on to `temporal server start-dev` (e.g. --log-level warn).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL="$("$ROOT/scripts/install-temporal.sh" | tail -n 1)"
HOME_DIR="${KKACHI_HOME:-$ROOT/.kkachi}"
ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
mkdir -p "$HOME_DIR"

args=(server start-dev
  --db-filename "$HOME_DIR/temporal.db"
  --ip "${ADDRESS%:*}" --port "${ADDRESS##*:}"
  --ui-port "${KKACHI_TEMPORAL_UI_PORT:-8233}"
  --search-attribute KkachiTask=Keyword
  --search-attribute KkachiStage=Keyword
  --search-attribute KkachiActiveVersion=Keyword)
if [ "$NAMESPACE" != "default" ]; then args+=(--namespace "$NAMESPACE"); fi

echo "temporal-dev: $ADDRESS (namespace $NAMESPACE), Web UI http://${ADDRESS%:*}:${KKACHI_TEMPORAL_UI_PORT:-8233}, data $HOME_DIR/temporal.db" >&2
exec "$TEMPORAL" "${args[@]}" "$@"
