#!/usr/bin/env bash
# vm-stop.sh — stop one local VM started by vm-start.sh.
#
# Usage: vm-stop.sh NAME [--hard]
#   --hard  kill qemu only (a crashed / powered-off instance): disk, seed, tap, DHCP entry and
#           state stay, so vm-start.sh NAME ... boots the same disk again.
#   default kill qemu and delete the VM's disk, seed, tap, DHCP entry and state dir.
# Idempotent: stopping a VM that is not running (or does not exist) succeeds.
# Env: E2E_STATE (/run/cluster-lab-e2e), E2E_BRIDGE (clab0; used if the VM has no vm.env).
set -euo pipefail

NAME=${1:-${E2E_VM_NAME:-}}
HARD=0
[[ ${2:-} == --hard || ${E2E_VM_HARD:-0} == 1 ]] && HARD=1
STATE=${E2E_STATE:-/run/cluster-lab-e2e}
BRIDGE=${E2E_BRIDGE:-clab0}
[[ $NAME =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || {
  echo "vm-stop: bad or missing NAME '$NAME'" >&2
  exit 2
}
[[ $(id -u) -eq 0 ]] || {
  echo "vm-stop: must run as root" >&2
  exit 1
}
VMDIR="$STATE/vms/$NAME"

[[ -d $VMDIR ]] || exit 0
exec 8>"$VMDIR.lock"
flock 8

is_our_qemu() { # pid
  [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "qemu-system.*$VMDIR/"
}

if [[ -s "$VMDIR/qemu.pid" ]]; then
  pid=$(cat "$VMDIR/qemu.pid")
  if is_our_qemu "$pid"; then
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      [[ -e /proc/$pid ]] || break
      sleep 0.05
    done
  fi
  rm -f "$VMDIR/qemu.pid" "$VMDIR/qmp.sock"
fi
echo "=== vm-stop $(date -u +%FT%TZ) $NAME hard=$HARD" >>"$VMDIR/console.log"

if ((HARD)); then
  exit 0
fi

TAP="" MAC="" IP=""
if [[ -r "$VMDIR/vm.env" ]]; then
  TAP=$(sed -n 's/^TAP=//p' "$VMDIR/vm.env")
  MAC=$(sed -n 's/^MAC=//p' "$VMDIR/vm.env")
  IP=$(sed -n 's/^IP=//p' "$VMDIR/vm.env")
  BRIDGE=$(sed -n 's/^BRIDGE=//p' "$VMDIR/vm.env")
fi
if [[ -n $TAP ]] && ip link show dev "$TAP" >/dev/null 2>&1; then
  ip link del dev "$TAP" || true
fi
NETDIR="$STATE/net-$BRIDGE"
if [[ -n $MAC && -f "$NETDIR/dhcp-hosts" ]]; then
  (
    flock 9
    hosts="$NETDIR/dhcp-hosts"
    if grep -qx "$MAC,$IP" "$hosts"; then
      grep -vx "$MAC,$IP" "$hosts" >"$hosts.new" || true
      mv "$hosts.new" "$hosts"
      if [[ -s "$NETDIR/dnsmasq.pid" ]]; then
        kill -HUP "$(cat "$NETDIR/dnsmasq.pid")" 2>/dev/null || true
      fi
    fi
  ) 9>"$NETDIR.lock"
fi
rm -rf "$VMDIR"
rm -f "$VMDIR.lock"
