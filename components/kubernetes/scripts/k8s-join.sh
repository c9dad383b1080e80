#!/usr/bin/env bash
# Joins this node to the cluster, unless a join to this cluster completed here: kubeadm returned
# success, recorded in a marker with the cluster's CA hash (kubelet.conf proves nothing: a control
# plane whose join failed in its etcd step has one; a rebuilt first control plane is a new cluster). Before a control plane joins again, the etcd member an earlier attempt left (a learner, or
# a member that never started) is removed through the first control plane's etcd, and what the
# attempt left on this node is reset. A control plane then reaches the API at itself.
# The token, the certificate key and the admin kubeconfig arrive as variables and reach kubeadm
# and kubectl in files only root can read, never as process arguments, stdout or stderr.
set -euo pipefail
: "${NODE_NAME:?node name of this node}"
: "${INSTANCE_ID:?the instance this node is}"
: "${ADVERTISE_ADDR:?private IP of this node}"
: "${API_ENDPOINT:?host:port of the control plane endpoint}"
: "${API_HOST:?host name of the endpoint}"
: "${API_ADDRESS:?where the endpoint host name points while this node joins}"
: "${JOIN_TOKEN:?bootstrap token}"
: "${CA_CERT_HASH:?sha256 hash of the cluster CA public key}"
: "${CONTROL_PLANE:=false}"
: "${CERTIFICATE_KEY:=}"  # control planes: decrypts the uploaded certificates
: "${ADMIN_KUBECONFIG:=}" # control planes: reaches the first control plane's etcd
: "${ETCD_POD:=}"         # control planes: the first control plane's etcd pod
: "${KUBERNETES_DIR:=/etc/kubernetes}"
: "${KUBELET_DEFAULTS:=/etc/default/kubelet}"
: "${ETCD_DATA_DIR:=/var/lib/etcd}"
: "${HOSTS_FILE:=/etc/hosts}"
: "${LAB_STATE_DIR:=/var/lib/cluster-lab}"
: "${RUN_DIR:=/run}"
: "${STALE_NODE_TIMEOUT:=120}" # node-monitor-grace-period (40-50 s) and the node controller's period, with room
done_marker="$LAB_STATE_DIR/kubeadm-join.done"

joined() { [ -f "$KUBERNETES_DIR/kubelet.conf" ] && [ "$(cat "$done_marker" 2>/dev/null)" = "$CA_CERT_HASH" ]; }

leftovers() {
  [ -e "$KUBERNETES_DIR/kubelet.conf" ] || [ -e "$KUBERNETES_DIR/bootstrap-kubelet.conf" ] || [ -e "$KUBERNETES_DIR/pki/ca.crt" ] ||
    compgen -G "$KUBERNETES_DIR/manifests/*.yaml" >/dev/null || [ -n "$(ls -A "$ETCD_DATA_DIR" 2>/dev/null)" ]
}

# Refuses anything but the expected shapes, without quoting a value: they are written into JSON.
check_inputs() {
  local bad=()
  [[ $JOIN_TOKEN =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || bad+=(JOIN_TOKEN)
  [[ $CA_CERT_HASH =~ ^sha256:[0-9a-f]{64}$ ]] || bad+=(CA_CERT_HASH)
  [[ $API_ENDPOINT =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || bad+=(API_ENDPOINT)
  [[ $NODE_NAME =~ ^[a-z0-9-]+$ ]] || bad+=(NODE_NAME)
  [[ $ADVERTISE_ADDR =~ ^[0-9.]+$ ]] || bad+=(ADVERTISE_ADDR)
  [[ $INSTANCE_ID =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || bad+=(INSTANCE_ID)
  if [ "$CONTROL_PLANE" = true ]; then
    [[ $CERTIFICATE_KEY =~ ^[0-9a-f]{64}$ ]] || bad+=(CERTIFICATE_KEY)
    [ -n "$ADMIN_KUBECONFIG" ] || bad+=(ADMIN_KUBECONFIG)
    [[ $ETCD_POD =~ ^etcd-[a-z0-9-]+$ ]] || bad+=(ETCD_POD)
  fi
  if [ "${#bad[@]}" -gt 0 ]; then
    echo "cannot join $NODE_NAME: ${bad[*]} empty or malformed" >&2
    exit 1
  fi
}

# A JoinConfiguration (JSON is YAML): printf is a shell builtin, so no value becomes an argument.
write_join_config() {
  printf '{"apiVersion":"kubeadm.k8s.io/v1beta4","kind":"JoinConfiguration","nodeRegistration":{"name":"%s"},' "$NODE_NAME"
  printf '"discovery":{"bootstrapToken":{"apiServerEndpoint":"%s","token":"%s","caCertHashes":["%s"]}}' \
    "$API_ENDPOINT" "$JOIN_TOKEN" "$CA_CERT_HASH"
  if [ "$CONTROL_PLANE" = true ]; then
    printf ',"controlPlane":{"localAPIEndpoint":{"advertiseAddress":"%s","bindPort":%s},"certificateKey":"%s"}' \
      "$ADVERTISE_ADDR" "${API_ENDPOINT##*:}" "$CERTIFICATE_KEY"
  fi
  printf '}\n'
}

# The member an earlier join of this instance left (a learner, or one that never started and has
# no name yet), found by this node's peer URL, removed while etcd still has its quorum. Never by
# name: a member of this name at another address is a predecessor's, which the join command hands
# over, and which may still be running.
remove_stale_member() {
  local kubeconfig="$work/admin.conf" members stale id
  printf '%s\n' "$ADMIN_KUBECONFIG" >"$kubeconfig"
  local etcdctl=(kubectl --kubeconfig "$kubeconfig" -n kube-system exec "$ETCD_POD" -- etcdctl
    --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt
    --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key)
  # member list: ID, status, name, peer URLs, client URLs, is learner
  members=$("${etcdctl[@]}" member list)
  stale=$(awk -F', ' -v peer="https://$ADVERTISE_ADDR:2380" '$4 == peer { print $1 }' <<<"$members")
  for id in $stale; do
    echo "removing etcd member $id, left by an earlier join of $NODE_NAME" >&2
    "${etcdctl[@]}" member remove "$id" >&2
  done
}

# kubeadm join refuses a name whose Node is Ready, and the Node an earlier attempt's kubelet
# registered stays Ready for node-monitor-grace-period after that kubelet stops. Read with that
# kubelet's own credentials, before kubeadm reset removes them.
node_ready() {
  [ "$(kubectl --kubeconfig "$KUBERNETES_DIR/kubelet.conf" --request-timeout=10s get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
node_not_ready() { ! node_ready; }
await_own_node_not_ready() {
  [ -f "$KUBERNETES_DIR/kubelet.conf" ] || return 0
  systemctl stop kubelet
  if ! wait_until "$STALE_NODE_TIMEOUT" "the Node $NODE_NAME to leave Ready once its kubelet stopped" node_not_ready; then
    echo "cannot join $NODE_NAME: its Node stays Ready, so another machine runs a kubelet as $NODE_NAME. On k8s-cp1:" \
      "kubectl get node $NODE_NAME -o wide; delete that Node if it is not this instance ($INSTANCE_ID), then pulumi up again" >&2
    exit 1
  fi
}

if joined; then
  echo "$NODE_NAME is already joined: kubeadm join completed here ($done_marker)" >&2
else
  pin_host "$API_HOST" "$API_ADDRESS"
  check_inputs
  umask 077
  work=$(mktemp -d "$RUN_DIR/cluster-lab-join.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rm -f "$done_marker"
  if [ "$CONTROL_PLANE" = true ]; then remove_stale_member; fi
  if leftovers; then
    echo "removing what an unfinished kubeadm join left behind" >&2
    await_own_node_not_ready
    kubeadm reset -f >&2
    if [ -d "$ETCD_DATA_DIR" ]; then find "$ETCD_DATA_DIR" -mindepth 1 -delete; fi
  fi
  mkdir -p "$(dirname "$KUBELET_DEFAULTS")"
  echo "KUBELET_EXTRA_ARGS=--node-ip=$ADVERTISE_ADDR --node-labels=cluster-lab.dev/instance-id=$INSTANCE_ID" >"$KUBELET_DEFAULTS"
  write_join_config >"$work/join.json"
  if ! kubeadm join --config "$work/join.json" >&2; then
    echo "kubeadm join of $NODE_NAME failed (above). If it names a Ready Node $NODE_NAME, another instance runs as" \
      "$NODE_NAME: pulumi up --replace <urn of $NODE_NAME-join-command> hands the name over to this one ($INSTANCE_ID)" >&2
    exit 1
  fi
  mkdir -p "$LAB_STATE_DIR"
  echo "$CA_CERT_HASH" >"$done_marker"
fi
if [ "$CONTROL_PLANE" = true ]; then pin_host "$API_HOST" "$ADVERTISE_ADDR"; else pin_host "$API_HOST" "$API_ADDRESS"; fi
echo "$NODE_NAME"
