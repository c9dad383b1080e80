#!/usr/bin/env bash
# On the first manager: wait until a joined node reports Ready and, for a manager, is a reachable
# Raft member (the next manager joins only then: see cluster.ts).
set -euo pipefail
: "${NODE_ID:?swarm node ID}"
: "${NODE_READY_TIMEOUT:?seconds}"

# "ready" for a worker, "ready reachable" for a manager that is a live Raft member.
node_state() { docker node inspect --format '{{.Status.State}}{{with .ManagerStatus}} {{.Reachability}}{{end}}' "$NODE_ID" 2>/dev/null; }
node_ready() { case "$(node_state)" in ready | "ready reachable") return 0 ;; *) return 1 ;; esac }

if ! wait_until "$NODE_READY_TIMEOUT" "node $NODE_ID to be Ready" node_ready; then
  docker node ls >&2 || true
  exit 1
fi
echo "node $NODE_ID is Ready"
