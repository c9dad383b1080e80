#!/usr/bin/env bash
# First manager: create the swarm unless this node already manages one, then print the join
# tokens as JSON on stdout (the only output on stdout: Pulumi keeps it secret and never logs it).
set -euo pipefail
: "${ADVERTISE_ADDR:?private IP of this node}"
: "${DRAIN:=false}"

state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" = active ] && [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ]; then
  echo "already managing swarm $(docker info --format '{{.Swarm.Cluster.ID}}')" >&2
else
  if [ "$state" != inactive ]; then
    echo "leaving stale swarm membership (state: $state)" >&2
    docker swarm leave --force >/dev/null
  fi
  # swarm init prints a join command with the worker token: keep it out of every log.
  docker swarm init --advertise-addr "$ADVERTISE_ADDR" >/dev/null
  echo "swarm initialised on $ADVERTISE_ADDR" >&2
fi

availability=active
if [ "$DRAIN" = true ]; then availability=drain; fi
docker node update --availability "$availability" "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null

# Each token on its own line first: a failing `join-token` stops the script here, with its error.
worker=$(docker swarm join-token -q worker)
manager=$(docker swarm join-token -q manager)
printf '{"worker":"%s","manager":"%s"}\n' "$worker" "$manager"
