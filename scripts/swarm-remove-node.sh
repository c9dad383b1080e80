#!/usr/bin/env bash
# Delete hook on the first manager for a node leaving the lab: drain it so its tasks move,
# demote it if it is a manager, and remove it from the node list.
set -euo pipefail
: "${NODE_ID:?swarm node ID}"
: "${DRAIN_TIMEOUT:=60}"

if ! docker node inspect "$NODE_ID" >/dev/null 2>&1; then
  echo "node $NODE_ID is not in the swarm"
  exit 0
fi
docker node update --availability drain "$NODE_ID" >/dev/null
deadline=$((SECONDS + DRAIN_TIMEOUT))
while [ -n "$(docker node ps --quiet --filter desired-state=running "$NODE_ID")" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 2
done
if [ "$(docker node inspect --format '{{.Spec.Role}}' "$NODE_ID")" = manager ]; then
  docker node demote "$NODE_ID"
fi
docker node rm --force "$NODE_ID"
