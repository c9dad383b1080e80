#!/usr/bin/env bash
# On the first control plane: apply the pinned CNI manifest and wait until its pods run and this
# node is Ready. Server-side apply: idempotent, and no size limit from the last-applied annotation.
set -euo pipefail
: "${CNI:?calico or flannel}"
: "${CNI_MANIFEST_URL:?URL of the pinned manifest}"
: "${CNI_DAEMONSET:?namespace/name of the CNI DaemonSet}"
: "${NODE_NAME:?node name of this control plane}"
: "${POD_CIDR:?pod network CIDR}"
: "${MANIFEST_POD_CIDR:=}" # the CIDR written into the manifest, replaced by POD_CIDR
: "${NODE_READY_TIMEOUT:?seconds}"
: "${LAB_DIR:=/opt/cluster-lab}"
: "${KUBECONFIG:=/etc/kubernetes/admin.conf}"
export KUBECONFIG

mkdir -p "$LAB_DIR"
manifest="$LAB_DIR/cni-$CNI.yaml"
curl -fsSL --retry 5 -o "$manifest.download" "$CNI_MANIFEST_URL"
if [ -n "$MANIFEST_POD_CIDR" ] && [ "$MANIFEST_POD_CIDR" != "$POD_CIDR" ]; then
  if ! grep -qF "\"$MANIFEST_POD_CIDR\"" "$manifest.download"; then
    echo "$CNI_MANIFEST_URL does not contain \"$MANIFEST_POD_CIDR\": cannot set the pod CIDR $POD_CIDR" >&2
    exit 1
  fi
  sed -i "s#\"$MANIFEST_POD_CIDR\"#\"$POD_CIDR\"#g" "$manifest.download"
fi
mv "$manifest.download" "$manifest"
kubectl apply --server-side --force-conflicts -f "$manifest" >&2

kubectl -n "${CNI_DAEMONSET%%/*}" rollout status "daemonset/${CNI_DAEMONSET#*/}" --timeout="${NODE_READY_TIMEOUT}s" >&2
kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="${NODE_READY_TIMEOUT}s" >&2
echo "$CNI applied; $NODE_NAME is Ready"
