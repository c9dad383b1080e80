#!/usr/bin/env bash
# On the first manager: wait until a joined node reports Ready.
set -euo pipefail
: "${NODE_ID:?swarm node ID}"
: "${READY_TIMEOUT:=300}"

deadline=$((SECONDS + READY_TIMEOUT))
until [ "$(docker node inspect --format '{{.Status.State}}' "$NODE_ID" 2>/dev/null)" = ready ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    docker node ls >&2 || true
    echo "node $NODE_ID not Ready within ${READY_TIMEOUT}s" >&2
    exit 1
  fi
  sleep 2
done
echo "node $NODE_ID is Ready"
