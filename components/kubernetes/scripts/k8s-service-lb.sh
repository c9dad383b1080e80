#!/usr/bin/env bash
# On a control plane: installs and runs the lab's LoadBalancer controller (service-lb-controller.sh)
# as the systemd service cluster-lab-service-lb, with the node addresses it hands out. A changed
# controller or unit restarts it; a changed address list is read on its next pass.
set -euo pipefail
: "${CONTROLLER:?the text of service-lb-controller.sh}"
: "${NODE_ADDRESSES:?one \"<name> <public ip> <private ip>\" line per node}"
: "${CLUSTER_PORTS:?the ports no LoadBalancer Service may take, \"<port>[-<last>]/<protocol>\" each}"
: "${LIB_DIR:=/usr/local/lib/cluster-lab}"
: "${CONFIG_DIR:=/etc/cluster-lab}"
: "${UNIT_DIR:=/etc/systemd/system}"
: "${ADMIN_CONF:=/etc/kubernetes/admin.conf}"
unit=cluster-lab-service-lb
if ! [[ $CLUSTER_PORTS =~ ^[0-9a-z/\ -]+$ ]]; then
  echo "CLUSTER_PORTS is not a list of <port>[-<last>]/<protocol>: $CLUSTER_PORTS" >&2
  exit 1
fi

restart=false
if put "$LIB_DIR/service-lb" "$CONTROLLER"; then restart=true; fi
chmod 755 "$LIB_DIR/service-lb"
put "$CONFIG_DIR/node-addresses" "$NODE_ADDRESSES" || true
if put "$UNIT_DIR/$unit.service" "[Unit]
Description=cluster-lab: node addresses for LoadBalancer Services
After=network-online.target kubelet.service

[Service]
Environment=KUBECONFIG=$ADMIN_CONF
Environment=ADDRESSES_FILE=$CONFIG_DIR/node-addresses
Environment=\"CLUSTER_PORTS=$CLUSTER_PORTS\"
ExecStart=$LIB_DIR/service-lb
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target"; then
  systemctl daemon-reload
  restart=true
fi
systemctl enable --now "$unit"
if [ "$restart" = true ]; then systemctl restart "$unit"; fi
echo "$unit runs"
