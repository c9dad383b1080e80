#!/usr/bin/env bash
# Delete hook on the first control plane for a node leaving the lab: drain it, remove a control
# plane's etcd member (what `kubeadm reset` on the node would do; the node may already be
# unreachable, and it is terminated right after), then delete the Node object. Only what is this
# instance's: when the node was replaced, its successor (same name, already joined) holds the Node.
set -euo pipefail
: "${NODE_NAME:?node name}"
: "${INSTANCE_ID:?the instance leaving (the old one when the node was replaced)}"
: "${NODE_ADDR:?its private IP}"
: "${CONTROL_PLANE:=false}"
: "${ETCD_POD:?name of the etcd pod on this control plane}"
: "${DRAIN_TIMEOUT:?seconds}"
: "${KUBECONFIG:=/etc/kubernetes/admin.conf}"
export KUBECONFIG

IDENTITY='{.metadata.labels.cluster-lab\.dev/instance-id}{"|"}{.status.addresses[?(@.type=="InternalIP")].address}'
if ! found=$(kubectl get node "$NODE_NAME" --ignore-not-found -o jsonpath="$IDENTITY"); then
  echo "the API server does not answer: $NODE_NAME is left in the cluster, which is going away with it" >&2
  exit 0
fi
IFS='|' read -r owner address <<<"$found"
if [ -z "$found" ]; then
  echo "node $NODE_NAME is not in the cluster"
elif [ "$owner" = "$INSTANCE_ID" ] || { [ -z "$owner" ] && [ "$address" = "$NODE_ADDR" ]; }; then
  # --force: pods made by hand (kubectl run) go too; the node is about to be terminated.
  if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT}s"; then
    echo "drain of $NODE_NAME failed or took more than ${DRAIN_TIMEOUT}s; removing it anyway" >&2
  fi
else
  echo "node $NODE_NAME is now ${owner:-the instance} at $address, which replaced $INSTANCE_ID: left alone"
  exit 0
fi
if [ "$CONTROL_PLANE" = true ]; then
  etcdctl=(kubectl -n kube-system exec "$ETCD_POD" -- etcdctl --endpoints=https://127.0.0.1:2379
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt
    --key=/etc/kubernetes/pki/etcd/server.key)
  # member list: ID, status, name, peer URLs, client URLs, is learner
  member=$("${etcdctl[@]}" member list | awk -F', ' -v name="$NODE_NAME" -v peer="https://$NODE_ADDR:2380" \
    '$4 == peer && ($3 == name || $3 == "") { print $1 }')
  if [ -n "$member" ]; then
    "${etcdctl[@]}" member remove "$member"
  else
    echo "$NODE_NAME has no etcd member at https://$NODE_ADDR:2380"
  fi
fi
if [ -n "$found" ]; then kubectl delete node "$NODE_NAME"; fi
