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
# answers nowhere until its new tasks run, so the hook waits for those too.
services=()
for task in $(running_tasks); do
  service=$(docker inspect --type task --format '{{.ServiceID}}' "$task" 2>/dev/null) && services+=(--filter "id=$service")
done
docker node update --availability drain "$NODE_ID" >/dev/null
short_of_replicas() {
  local name mode replicas
  [ "${#services[@]}" -gt 0 ] || return 0
  while read -r name mode replicas _; do
    [ "$mode" != replicated ] || [ "${replicas%%/*}" = "${replicas#*/}" ] || echo "$name $replicas"
  done < <(docker service ls "${services[@]}" --format '{{.Name}} {{.Mode}} {{.Replicas}}')
}
moved() { [ -z "$(running_tasks)" ] && [ -z "$(short_of_replicas)" ]; }
if ! wait_until "$DRAIN_TIMEOUT" "the tasks of node $NODE_ID to run elsewhere" moved; then
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
