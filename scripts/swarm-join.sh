#!/usr/bin/env bash
# Joins this node to the swarm of MANAGER_ADDR unless it is already a member; prints its node ID.
set -euo pipefail
: "${JOIN_TOKEN:?manager or worker join token}"
: "${MANAGER_ADDR:?private IP of the first manager}"
: "${ADVERTISE_ADDR:?private IP of this node}"
: "${ROLE:?manager or worker}"
: "${DRAIN:=false}"
: "${JOIN_ATTEMPTS:=5}"

member_of_lab_swarm() {
  [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = active ] &&
    docker info --format ' {{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}' | grep -qF " $MANAGER_ADDR:2377 "
}

if member_of_lab_swarm; then
  echo "already a member of the swarm of $MANAGER_ADDR" >&2
else
  attempt=1
  until {
    if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != inactive ]; then
      docker swarm leave --force >/dev/null   # another swarm, or a join that did not finish
    fi
    docker swarm join --token "$JOIN_TOKEN" --advertise-addr "$ADVERTISE_ADDR" "$MANAGER_ADDR:2377" >&2
  }; do
    # Managers joining at the same moment can be told a configuration change is in progress.
    if [ "$attempt" -ge "$JOIN_ATTEMPTS" ]; then
      echo "could not join $MANAGER_ADDR:2377 after $attempt attempts" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep $((attempt * 3))
  done
fi

node_id=$(docker info --format '{{.Swarm.NodeID}}')
if [ "$ROLE" = manager ]; then
  availability=active
  if [ "$DRAIN" = true ]; then availability=drain; fi
  docker node update --availability "$availability" "$node_id" >/dev/null
fi
echo "$node_id"
