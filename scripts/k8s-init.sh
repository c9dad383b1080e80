#!/usr/bin/env bash
# First control plane: `kubeadm init` unless this node already runs a cluster (admin.conf exists).
# kubeadm would print a join command with a bootstrap token, and for HA the certificate key: both
# stay out of stdout and stderr, which Pulumi logs. Joins get fresh ones from k8s-join-command.sh.
set -euo pipefail
: "${NODE_NAME:?node name of this control plane}"
: "${ADVERTISE_ADDR:?private IP of this node}"
: "${PUBLIC_ADDR:?public IP of this node, added to the API server certificate}"
: "${CONTROL_PLANE_ENDPOINT:?host:port that every control plane shares}"
: "${POD_CIDR:?pod network CIDR}"
: "${SERVICE_CIDR:=10.96.0.0/12}"
: "${UPLOAD_CERTS:=false}"       # true with more than one control plane
: "${ALLOW_WORKLOADS:=false}"    # true without workers: lift the control-plane taint
: "${KUBERNETES_DIR:=/etc/kubernetes}"
: "${KUBELET_DEFAULTS:=/etc/default/kubelet}"
export KUBECONFIG="$KUBERNETES_DIR/admin.conf"

if [ -f "$KUBECONFIG" ]; then
  echo "already initialised: $KUBECONFIG exists" >&2
else
  if compgen -G "$KUBERNETES_DIR/manifests/*.yaml" >/dev/null; then
    echo "removing what an unfinished kubeadm init left behind" >&2
    kubeadm reset -f >&2
  fi
  # The kubelet registers with the lab address, whatever other interfaces the node has.
  mkdir -p "$(dirname "$KUBELET_DEFAULTS")"
  echo "KUBELET_EXTRA_ARGS=--node-ip=$ADVERTISE_ADDR" >"$KUBELET_DEFAULTS"
  args=(init
    --node-name "$NODE_NAME"
    --apiserver-advertise-address "$ADVERTISE_ADDR"
    --apiserver-cert-extra-sans "$PUBLIC_ADDR"
    --control-plane-endpoint "$CONTROL_PLANE_ENDPOINT"
    --pod-network-cidr "$POD_CIDR"
    --service-cidr "$SERVICE_CIDR"
    --kubernetes-version "$(kubeadm version -o short)"
    --skip-token-print --skip-certificate-key-print)
  if [ "$UPLOAD_CERTS" = true ]; then args+=(--upload-certs); fi
  kubeadm "${args[@]}" >/dev/null
  echo "kubeadm init done: $NODE_NAME at $ADVERTISE_ADDR, endpoint $CONTROL_PLANE_ENDPOINT" >&2
fi

if [ "$ALLOW_WORKLOADS" = true ]; then
  taints=$(kubectl get node "$NODE_NAME" -o jsonpath='{.spec.taints[*].key}')
  if [[ " $taints " == *" node-role.kubernetes.io/control-plane "* ]]; then
    kubectl taint node "$NODE_NAME" node-role.kubernetes.io/control-plane:NoSchedule- >&2
  fi
fi
echo "control plane $NODE_NAME serves $CONTROL_PLANE_ENDPOINT"
