#!/usr/bin/env bash
# Delete hook on the first control plane for a node leaving the lab: drain it, remove a control
# plane's etcd member (what `kubeadm reset` on the node would do; the node may already be
# unreachable, and it is terminated right after), then delete the Node object.
set -euo pipefail
: "${NODE_NAME:?node name}"
: "${CONTROL_PLANE:=false}"
: "${ETCD_POD:?name of the etcd pod on this control plane}"
: "${DRAIN_TIMEOUT:?seconds}"
: "${KUBECONFIG:=/etc/kubernetes/admin.conf}"
export KUBECONFIG

if ! found=$(kubectl get node "$NODE_NAME" --ignore-not-found -o name); then
  echo "the API server does not answer: $NODE_NAME is left in the cluster, which is going away with it" >&2
  exit 0
fi
if [ -z "$found" ]; then
  echo "node $NODE_NAME is not in the cluster"
  exit 0
fi
# --force: pods made by hand (kubectl run) go too; the node is about to be terminated.
if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT}s"; then
  echo "drain of $NODE_NAME failed or took more than ${DRAIN_TIMEOUT}s; removing it anyway" >&2
fi
if [ "$CONTROL_PLANE" = true ]; then
  etcdctl=(kubectl -n kube-system exec "$ETCD_POD" -- etcdctl --endpoints=https://127.0.0.1:2379
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt
    --key=/etc/kubernetes/pki/etcd/server.key)
  # member list: ID, status, name, peer URLs, client URLs, is learner
  member=$("${etcdctl[@]}" member list | awk -F', ' -v name="$NODE_NAME" '$3 == name { print $1 }')
  if [ -n "$member" ]; then
    "${etcdctl[@]}" member remove "$member"
  else
    echo "$NODE_NAME has no etcd member"
  fi
fi
kubectl delete node "$NODE_NAME"
