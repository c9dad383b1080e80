#!/usr/bin/env bash
# net-down.sh — remove everything net-up.sh created: dnsmasq, the VM taps on the bridge, the
# bridge, the iptables rules and the network state dir. Safe to run twice. It does not stop
# VMs (use vm-stop.sh first); a qemu process left running loses its network.
#
# Env: E2E_BRIDGE (clab0), E2E_STATE (/run/cluster-lab-e2e).
set -euo pipefail

BRIDGE=${E2E_BRIDGE:-clab0}
STATE=${E2E_STATE:-/run/cluster-lab-e2e}
NETDIR="$STATE/net-$BRIDGE"

[[ $(id -u) -eq 0 ]] || {
  echo "net-down: must run as root" >&2
  exit 1
}
mkdir -p "$STATE"
exec 9>"$NETDIR.lock"
flock 9

# --- dnsmasq (only ours: its command line names our state dir)
if [[ -s "$NETDIR/dnsmasq.pid" ]]; then
  pid=$(cat "$NETDIR/dnsmasq.pid")
  if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dnsmasq.*$NETDIR"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -e /proc/$pid ]] || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
fi

# --- taps: those enslaved to the bridge and any left-over tap named after it (<bridge>t<n>)
taps=()
if ip link show dev "$BRIDGE" >/dev/null 2>&1; then
  while read -r dev; do
    [[ -n "$dev" ]] && taps+=("$dev")
  done < <(ip -o link show master "$BRIDGE" | awk -F': ' '{print $2}' | cut -d@ -f1)
fi
while read -r dev; do
  [[ -n "$dev" ]] && taps+=("$dev")
done < <(ip -o link show type tun 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${BRIDGE}t[0-9]+$" || true)
for dev in "${taps[@]}"; do
  ip link del dev "$dev" 2>/dev/null || true
done

# --- bridge
if ip link show dev "$BRIDGE" >/dev/null 2>&1; then
  ip link del dev "$BRIDGE"
fi

# --- iptables rules (delete every copy)
del_rule() { # table chain rule...
  local table=$1 chain=$2
  shift 2
  while iptables -w -t "$table" -C "$chain" "$@" 2>/dev/null; do
    iptables -w -t "$table" -D "$chain" "$@"
  done
}
if command -v iptables >/dev/null; then
  del_rule filter FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  del_rule filter FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP
  del_rule filter FORWARD ! -i "$BRIDGE" -o "$BRIDGE" -j DROP
  del_rule filter INPUT -i "$BRIDGE" -j ACCEPT
  del_rule filter OUTPUT -o "$BRIDGE" -j ACCEPT
fi

rm -rf "$NETDIR"
