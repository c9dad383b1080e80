#!/usr/bin/env bash
# net-up.sh — the local e2e "VPC": a Linux bridge with a private /24, dnsmasq on that bridge only
# (DHCP with a fixed address per MAC, no DNS, no default route: the VMs reach only the routes of
# option 121), and iptables accepts so bridged frames pass FORWARD on a host whose policy is DROP
# (Docker); the cloud's nftables table filters. Idempotent; safe to call concurrently.
#
# Env: E2E_BRIDGE (clab0), E2E_SUBNET (10.213.0.0/24, must be a /24), E2E_HOST_IP (<net>.1),
#      E2E_VM_ROUTES (space-separated CIDRs the VMs reach through this host, DHCP option 121),
#      E2E_STATE (/run/cluster-lab-e2e). Network state lives in $E2E_STATE/net-$E2E_BRIDGE/:
#      dnsmasq.pid, dhcp-hosts (MAC,IP lines; append + SIGHUP dnsmasq), leases, dnsmasq.log.
set -euo pipefail

BRIDGE=${E2E_BRIDGE:-clab0}
SUBNET=${E2E_SUBNET:-10.213.0.0/24}
STATE=${E2E_STATE:-/run/cluster-lab-e2e}
if [[ ! "$SUBNET" =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/24$ ]]; then
  echo "net-up: E2E_SUBNET must be a /24 like 10.213.0.0/24, got '$SUBNET'" >&2
  exit 2
fi
PREFIX=${BASH_REMATCH[1]}
HOST_IP=${E2E_HOST_IP:-$PREFIX.1}
NETDIR="$STATE/net-$BRIDGE"

[[ $(id -u) -eq 0 ]] || {
  echo "net-up: must run as root" >&2
  exit 1
}
mkdir -p "$NETDIR"
exec 9>"$NETDIR.lock"
flock 9

# --- bridge
if ! ip link show dev "$BRIDGE" >/dev/null 2>&1; then
  ip link add name "$BRIDGE" type bridge stp_state 0 forward_delay 0
fi
if ! ip -4 addr show dev "$BRIDGE" | grep -q "inet $HOST_IP/24"; then
  ip addr add "$HOST_IP/24" dev "$BRIDGE"
fi
ip link set dev "$BRIDGE" up
printf '%s\n' "$BRIDGE" "$SUBNET" "$HOST_IP" >"$NETDIR/config"

# --- iptables: let the bridge's traffic through a host whose FORWARD policy is DROP (Docker).
# What may pass is decided by the cloud's own nftables table (cloud/security-group.ts): the
# security groups, and no forwarding from the bridge anywhere but to the outside addresses.
add_rule() { # table chain position rule...
  local table=$1 chain=$2 pos=$3
  shift 3
  iptables -w -t "$table" -C "$chain" "$@" 2>/dev/null || iptables -w -t "$table" -I "$chain" "$pos" "$@"
}
add_rule filter FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
add_rule filter INPUT 1 -i "$BRIDGE" -j ACCEPT
add_rule filter OUTPUT 1 -o "$BRIDGE" -j ACCEPT

# --- dnsmasq: DHCP only, on this bridge only
touch "$NETDIR/dhcp-hosts" "$NETDIR/leases"
running=
if [[ -s "$NETDIR/dnsmasq.pid" ]]; then
  pid=$(cat "$NETDIR/dnsmasq.pid")
  if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dnsmasq.*$NETDIR"; then
    running=1
  fi
fi
# classless static routes (option 121) back to the outside networks, via this host
routes=
for dest in ${E2E_VM_ROUTES:-}; do
  routes+="${routes:+,}$dest,$HOST_IP"
done
if [[ -z "$running" ]]; then
  rm -f "$NETDIR/dnsmasq.pid"
  dnsmasq \
    --conf-file=/dev/null \
    --port=0 \
    --interface="$BRIDGE" --bind-interfaces --except-interface=lo \
    --no-resolv --no-hosts \
    --user=root --group=root \
    --dhcp-authoritative \
    --dhcp-range="$PREFIX.0,static,255.255.255.0,1h" \
    --dhcp-option=option:router \
    ${routes:+"--dhcp-option=option:classless-static-route,$routes"} \
    --dhcp-option=option:dns-server \
    --dhcp-hostsfile="$NETDIR/dhcp-hosts" \
    --dhcp-leasefile="$NETDIR/leases" \
    --pid-file="$NETDIR/dnsmasq.pid" \
    --log-facility="$NETDIR/dnsmasq.log" \
    --log-dhcp
  for _ in $(seq 50); do
    [[ -s "$NETDIR/dnsmasq.pid" ]] && break
    sleep 0.1
  done
  [[ -s "$NETDIR/dnsmasq.pid" ]] || {
    echo "net-up: dnsmasq did not start" >&2
    exit 1
  }
fi
