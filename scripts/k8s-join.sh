#!/usr/bin/env bash
# Joins this node to the cluster unless it is already registered (kubelet.conf exists); a control
# plane joins with --control-plane and the certificate key. The token and key arrive as variables
# and never reach stdout or stderr.
set -euo pipefail
: "${NODE_NAME:?node name of this node}"
: "${ADVERTISE_ADDR:?private IP of this node}"
: "${API_ENDPOINT:?host:port of the control plane endpoint}"
: "${JOIN_TOKEN:?bootstrap token}"
: "${CA_CERT_HASH:?sha256 hash of the cluster CA public key}"
: "${CONTROL_PLANE:=false}"
: "${CERTIFICATE_KEY:=}"
: "${KUBERNETES_DIR:=/etc/kubernetes}"
: "${KUBELET_DEFAULTS:=/etc/default/kubelet}"

if [ -f "$KUBERNETES_DIR/kubelet.conf" ]; then
  echo "$NODE_NAME is already registered ($KUBERNETES_DIR/kubelet.conf exists)" >&2
else
  if [ -e "$KUBERNETES_DIR/pki/ca.crt" ] || compgen -G "$KUBERNETES_DIR/manifests/*.yaml" >/dev/null; then
    echo "removing what an unfinished kubeadm join left behind" >&2
    kubeadm reset -f >&2
  fi
  mkdir -p "$(dirname "$KUBELET_DEFAULTS")"
  echo "KUBELET_EXTRA_ARGS=--node-ip=$ADVERTISE_ADDR" >"$KUBELET_DEFAULTS"
  args=(join "$API_ENDPOINT" --token "$JOIN_TOKEN" --discovery-token-ca-cert-hash "$CA_CERT_HASH" --node-name "$NODE_NAME")
  if [ "$CONTROL_PLANE" = true ]; then
    if [ -z "$CERTIFICATE_KEY" ]; then
      echo "a control plane joins with a certificate key, and CERTIFICATE_KEY is empty" >&2
      exit 1
    fi
    args+=(--control-plane --certificate-key "$CERTIFICATE_KEY" --apiserver-advertise-address "$ADVERTISE_ADDR")
  fi
  kubeadm "${args[@]}" >&2
fi
echo "$NODE_NAME"
