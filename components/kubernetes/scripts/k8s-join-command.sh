#!/usr/bin/env bash
# On the first control plane: a fresh bootstrap token for one joining node, and for a control
# plane a freshly uploaded certificate key. Prints them as JSON on stdout, the only output there:
# Pulumi keeps it secret and never logs it. Nothing secret goes to stderr, even on failure.
set -euo pipefail
: "${NODE_NAME:?the node that will join}"
: "${CONTROL_PLANE:=false}"
: "${TOKEN_TTL:=2h}" # the uploaded certificates expire after 2h as well
: "${KUBECONFIG:=/etc/kubernetes/admin.conf}"
export KUBECONFIG

line=$(kubeadm token create --ttl "$TOKEN_TTL" --description "cluster-lab join of $NODE_NAME" --print-join-command)
read -r -a words <<<"$line"
endpoint="" token="" hash=""
if [ "${words[0]:-}" = kubeadm ] && [ "${words[1]:-}" = join ]; then
  endpoint=${words[2]:-}
  for ((i = 3; i < ${#words[@]} - 1; i++)); do
    case ${words[i]} in
      --token) token=${words[i + 1]} ;;
      --discovery-token-ca-cert-hash) hash=${words[i + 1]} ;;
    esac
  done
fi
if [ -z "$endpoint" ] || ! [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || ! [[ $hash =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "kubeadm token create did not print a join command of the form 'kubeadm join HOST:PORT --token ... --discovery-token-ca-cert-hash sha256:...'" >&2
  exit 1
fi

key=""
if [ "$CONTROL_PLANE" = true ]; then
  key=$(kubeadm init phase upload-certs --upload-certs | tail -n 1)
  if ! [[ $key =~ ^[0-9a-f]{64}$ ]]; then
    echo "kubeadm init phase upload-certs did not end with a certificate key" >&2
    exit 1
  fi
fi
printf '{"endpoint":"%s","token":"%s","caCertHash":"%s","certificateKey":"%s"}\n' "$endpoint" "$token" "$hash" "$key"
