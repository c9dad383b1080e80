#!/usr/bin/env bash
# On the first manager: wait until a joined node reports Ready.
set -euo pipefail
: "${NODE_ID:?swarm node ID}"
: "${NODE_READY_TIMEOUT:?seconds}"

node_ready() { [ "$(docker node inspect --format '{{.Status.State}}' "$NODE_ID" 2>/dev/null)" = ready ]; }

if ! wait_until "$NODE_READY_TIMEOUT" "node $NODE_ID to be Ready" node_ready; then
  docker node ls >&2 || true
  exit 1
fi
echo "node $NODE_ID is Ready"
