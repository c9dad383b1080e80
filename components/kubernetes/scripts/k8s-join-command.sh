#!/usr/bin/env bash
# On the first control plane: a fresh bootstrap token for one joining node, and for a control
# plane a freshly uploaded certificate key. Prints them as JSON on stdout, the only output there:
# Pulumi keeps it secret and never logs it. Nothing secret goes to stderr, even on failure.
# First it hands the node's name over: a Node of that name from another instance (the one this
# instance replaces, still Ready, since Pulumi creates the successor first) would make kubeadm
# join refuse; a NotReady one the new kubelet would take over with the old instance's labels.
set -euo pipefail
: "${NODE_NAME:?the node that will join}"
: "${INSTANCE_ID:?the instance that will join as NODE_NAME}"
: "${NODE_ADDR:?its private IP}"
: "${CONTROL_PLANE:=false}"
: "${ETCD_POD:=}" # control planes: this control plane's etcd pod
: "${DRAIN_TIMEOUT:=300}"
: "${TOKEN_TTL:=2h}" # the uploaded certificates expire after 2h as well
: "${KUBECONFIG:=/etc/kubernetes/admin.conf}"
export KUBECONFIG

# A Node names its instance in a label (k8s-init.sh, k8s-join.sh); one joined before the label
# existed is known by its address.
IDENTITY='{.metadata.labels.cluster-lab\.dev/instance-id}{"|"}{.status.addresses[?(@.type=="InternalIP")].address}'

remove_member() {
  local etcdctl=(kubectl -n kube-system exec "$ETCD_POD" -- etcdctl --endpoints=https://127.0.0.1:2379
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt
    --key=/etc/kubernetes/pki/etcd/server.key) id
  # member list: ID, status, name, peer URLs, client URLs, is learner
  for id in $("${etcdctl[@]}" member list | awk -F', ' -v name="$NODE_NAME" -v peer="https://$1:2380" \
    '$4 == peer && ($3 == name || $3 == "") { print $1 }'); do
    echo "removing etcd member $id ($NODE_NAME at $1)" >&2
    "${etcdctl[@]}" member remove "$id" >&2
  done
}

hand_over() {
  local found owner address
  if ! found=$(kubectl get node "$NODE_NAME" --ignore-not-found -o jsonpath="$IDENTITY"); then
    echo "cannot read Node $NODE_NAME from the API here: check kubectl get nodes on this control plane, then pulumi up again" >&2
    exit 1
  fi
  IFS='|' read -r owner address <<<"$found"
  if [ -z "$found" ] || [ "$owner" = "$INSTANCE_ID" ] || { [ -z "$owner" ] && [ "$address" = "$NODE_ADDR" ]; }; then return 0; fi
  echo "handing $NODE_NAME over to $INSTANCE_ID: draining and deleting the Node of ${owner:-the instance} at $address" >&2
  if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT}s" >&2; then
    echo "drain of $NODE_NAME failed or took more than ${DRAIN_TIMEOUT}s; deleting it anyway" >&2
  fi
  if [ "$CONTROL_PLANE" = true ]; then remove_member "$address"; fi
  kubectl delete node "$NODE_NAME" >&2
}

hand_over
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
