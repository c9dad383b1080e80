#!/usr/bin/env bash
# Joins this node to the swarm of MANAGER_ADDR unless it is already a member; prints its node ID.
set -euo pipefail
: "${JOIN_TOKEN:?manager or worker join token}"
: "${MANAGER_ADDR:?private IP of the first manager}"
: "${ADVERTISE_ADDR:?private IP of this node}"
: "${ROLE:?manager or worker}"
: "${DRAIN:=false}"
: "${JOIN_ATTEMPTS:?tries}"
: "${JOIN_PENDING_TIMEOUT:?seconds}"

local_state() { docker info --format '{{.Swarm.LocalNodeState}}'; }

member_of_lab_swarm() {
  [ "$(local_state)" = active ] &&
    docker info --format ' {{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}' | grep -qF " $MANAGER_ADDR:2377 "
}

# The token reaches the daemon in the request body, on stdin: `docker swarm join --token` would put it
# in a process argument that every local user can read in `ps`. (printf is a shell builtin.)
join_request() {
  printf '{"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"%s","RemoteAddrs":["%s:2377"],"JoinToken":"%s"}' \
    "$ADVERTISE_ADDR" "$MANAGER_ADDR" "$JOIN_TOKEN"
}

not_pending() { [ "$(local_state)" != pending ]; }

# A join the daemon gave up waiting for (20 s) goes on in the background, in state "pending": wait for
# it. Leaving it to start over would leave its Raft member behind, dead: a manager too many, and the
# managers lose their quorum once the others are removed. A refused join leaves the node inactive.
join() {
  wait_until "$JOIN_PENDING_TIMEOUT" "the join in progress" not_pending || return 1
  if member_of_lab_swarm; then return 0; fi
  local state
  state=$(local_state)
  if [ "$state" = error ]; then
    echo "the join ended in error: $(docker info --format '{{.Swarm.Error}}'); joining again" >&2
  fi
  if [ "$state" != inactive ]; then
    docker swarm leave --force >/dev/null # another swarm, or a join that ended in error
  fi
  join_request | curl --silent --show-error --fail-with-body --unix-socket /var/run/docker.sock \
    -H "Content-Type: application/json" --data-binary @- http://localhost/swarm/join >&2
}

if member_of_lab_swarm; then
  echo "already a member of the swarm of $MANAGER_ADDR" >&2
else
  # Managers joining at the same moment can be told a configuration change is in progress.
  RETRY_DELAY=3 retry "$JOIN_ATTEMPTS" join || {
    echo "could not join $MANAGER_ADDR:2377 after $JOIN_ATTEMPTS attempts" >&2
    exit 1
  }
fi

node_id=$(docker info --format '{{.Swarm.NodeID}}')
if [ "$ROLE" = manager ]; then
  availability=active
  if [ "$DRAIN" = true ]; then availability=drain; fi
  docker node update --availability "$availability" "$node_id" >/dev/null
fi
echo "$node_id"
