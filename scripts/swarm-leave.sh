#!/usr/bin/env bash
# Delete hook on a removed node: leave the swarm (the manager has already drained and removed it).
set -euo pipefail

if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive ]; then
  echo "not in a swarm"
else
  docker swarm leave --force
fi
