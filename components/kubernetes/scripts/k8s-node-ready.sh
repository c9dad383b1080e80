#!/usr/bin/env bash
# On the first control plane: wait until a joined node is Ready; without workers, a joined control
# plane also loses its NoSchedule taint so that the sample app has somewhere to run.
set -euo pipefail
: "${NODE_NAME:?node name}"
: "${ALLOW_WORKLOADS:=false}"
: "${NODE_READY_TIMEOUT:?seconds}"
: "${KUBECONFIG:=/etc/kubernetes/admin.conf}"
export KUBECONFIG

node_ready() { [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
if ! POLL_INTERVAL=5 wait_until "$NODE_READY_TIMEOUT" "node $NODE_NAME to be Ready" node_ready; then
  kubectl get nodes -o wide >&2 || true
  exit 1
fi
if [ "$ALLOW_WORKLOADS" = true ]; then
  taints=$(kubectl get node "$NODE_NAME" -o jsonpath='{.spec.taints[*].key}')
  if [[ " $taints " == *" node-role.kubernetes.io/control-plane "* ]]; then
    kubectl taint node "$NODE_NAME" node-role.kubernetes.io/control-plane:NoSchedule- >&2
  fi
fi
echo "node $NODE_NAME is Ready"
