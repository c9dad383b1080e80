#!/usr/bin/env bash
# Delete hook on the first manager for a node leaving the lab: drain it so its tasks move, demote
# it if it is a manager and wait until it has left Raft (the remaining managers keep their quorum),
# then remove it from the node list. The program removes managers one at a time.
set -euo pipefail
: "${NODE_ID:?swarm node ID}"
: "${DRAIN_TIMEOUT:?seconds}"
: "${DEMOTE_TIMEOUT:?seconds}"

if ! docker node inspect "$NODE_ID" >/dev/null 2>&1; then
  echo "node $NODE_ID is not in the swarm"
  exit 0
fi
docker node update --availability drain "$NODE_ID" >/dev/null
no_tasks() { [ -z "$(docker node ps --quiet --filter desired-state=running "$NODE_ID")" ]; }
wait_until "$DRAIN_TIMEOUT" "the tasks of node $NODE_ID to move" no_tasks || echo "removing it anyway" >&2
if [ "$(docker node inspect --format '{{.Spec.Role}}' "$NODE_ID")" = manager ]; then
  docker node demote "$NODE_ID"
  out_of_raft() { [ -z "$(docker node inspect --format '{{if .ManagerStatus}}in raft{{end}}' "$NODE_ID")" ]; }
  if ! wait_until "$DEMOTE_TIMEOUT" "demoted node $NODE_ID to leave Raft" out_of_raft; then
    docker node ls >&2 || true
    exit 1
  fi
fi
docker node rm --force "$NODE_ID"
