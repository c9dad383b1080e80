#!/usr/bin/env bash
# Delete hook on the first manager for a node leaving the lab: drain it and wait until its tasks have
# moved (every replicated service it ran has all its replicas running again, elsewhere), demote it if
# it is a manager and wait until it has left Raft (the remaining managers keep their quorum), then
# remove it from the node list. The program removes managers one at a time.
set -euo pipefail
: "${NODE_ID:?swarm node ID}"
: "${DRAIN_TIMEOUT:?seconds}"
: "${DEMOTE_TIMEOUT:?seconds}"

if ! docker node inspect "$NODE_ID" >/dev/null 2>&1; then
  echo "node $NODE_ID is not in the swarm"
  exit 0
fi
running_tasks() { docker node ps --quiet --filter desired-state=running "$NODE_ID"; }
# Drain only stops the node's tasks; a service whose replicas all ran there (the one worker, replaced)
# answers nowhere until its new tasks run, so the hook waits for those too: the replicated services
# with a task on the node, as "ID name replicas", read once (global tasks stay with their nodes).
replicated=()
tasks=$(running_tasks)
if [ -n "$tasks" ]; then
  # shellcheck disable=SC2086 # one ID per word
  services=$(docker inspect --type task --format '{{.ServiceID}}' $tasks 2>/dev/null | sort -u || true)
  # shellcheck disable=SC2086
  [ -z "$services" ] || mapfile -t replicated < <(docker service inspect \
    --format '{{.ID}} {{.Spec.Name}} {{with .Spec.Mode.Replicated}}{{.Replicas}}{{end}}' $services 2>/dev/null | awk 'NF == 3' || true)
fi
docker node update --availability drain "$NODE_ID" >/dev/null
# Prints each of them whose tasks meant to run are not all Running yet. (The Replicas column of
# `service ls` counts the drained node's tasks until they have stopped.)
short_of_replicas() {
  local service id name want have
  for service in "${replicated[@]}"; do
    read -r id name want <<<"$service"
    have=$(docker service ps --filter desired-state=running --format '{{.CurrentState}}' "$id" | grep -c '^Running' || true)
    [ "$have" -ge "$want" ] || echo "$name $have/$want"
  done
}
moved() { [ -z "$(running_tasks)" ] && [ -z "$(short_of_replicas)" ]; }
# Every 5 s, as deploy-stack.sh polls: each docker call costs seconds of CPU on a busy manager.
if ! POLL_INTERVAL=5 wait_until "$DRAIN_TIMEOUT" "the tasks of node $NODE_ID to run elsewhere" moved; then
  echo "removing it anyway; services short of replicas: $(short_of_replicas | paste -sd, -)" >&2
fi
if [ "$(docker node inspect --format '{{.Spec.Role}}' "$NODE_ID")" = manager ]; then
  docker node demote "$NODE_ID"
  out_of_raft() { [ -z "$(docker node inspect --format '{{if .ManagerStatus}}in raft{{end}}' "$NODE_ID")" ]; }
  if ! wait_until "$DEMOTE_TIMEOUT" "demoted node $NODE_ID to leave Raft" out_of_raft; then
    docker node ls >&2 || true
    exit 1
  fi
fi
docker node rm --force "$NODE_ID"
