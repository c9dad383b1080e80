#!/usr/bin/env bash
# On the first control plane: print the cluster admin's kubeconfig on stdout, which Pulumi keeps
# secret and never logs. The program points its server at the public endpoint.
set -euo pipefail
: "${ADMIN_CONF:=/etc/kubernetes/admin.conf}"

if [ ! -s "$ADMIN_CONF" ]; then
  echo "$ADMIN_CONF is missing: kubeadm init has not run on this node" >&2
  exit 1
fi
cat "$ADMIN_CONF"
