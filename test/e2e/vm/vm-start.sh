#!/usr/bin/env bash
# vm-start.sh — boot one local stand-in EC2 instance under QEMU (returns once qemu daemonized;
# it does NOT wait for SSH).
#
# Usage: vm-start.sh NAME IP MAC USER_DATA_FILE PUBLIC_KEY
#   (or env E2E_VM_NAME, E2E_VM_IP, E2E_VM_MAC, E2E_VM_USER_DATA, E2E_VM_PUBLIC_KEY)
# Creates in $E2E_STATE/vms/NAME/: disk.qcow2 (overlay on the cached base image, kept across a
# hard stop so a restart boots the same disk), seed.iso (NoCloud: meta-data with instance-id,
# local-hostname ip-A-B-C-D like EC2, public-keys; user-data as given), console.log (serial
# console, appended), qemu.pid, qmp.sock, vm.env. Adds MAC,IP to dnsmasq's hosts file, a tap
# <bridge>t<last octet> on the bridge. Idempotent: a running VM of that name is left alone.
#
# Env: E2E_STATE (/run/cluster-lab-e2e), E2E_BRIDGE (clab0), E2E_SUBNET, E2E_IMAGE_DIR (default:
#      output of build-image.sh), E2E_VM_MEMORY (MiB, 1024), E2E_VM_CPUS (1), E2E_ACCEL (tcg|kvm),
#      E2E_VM_HOSTNAME (meta-data local-hostname, default ip-A-B-C-D),
#      E2E_VM_INSTANCE_ID (meta-data instance-id of a new disk, default random i-...).
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
NAME=${1:-${E2E_VM_NAME:-}}
IP=${2:-${E2E_VM_IP:-}}
MAC=${3:-${E2E_VM_MAC:-}}
USER_DATA=${4:-${E2E_VM_USER_DATA:-}}
PUBLIC_KEY=${5:-${E2E_VM_PUBLIC_KEY:-}}
STATE=${E2E_STATE:-/run/cluster-lab-e2e}
BRIDGE=${E2E_BRIDGE:-clab0}
MEMORY=${E2E_VM_MEMORY:-1024}
CPUS=${E2E_VM_CPUS:-1}
ACCEL=${E2E_ACCEL:-tcg}

die() {
  echo "vm-start: $*" >&2
  exit 1
}
[[ $NAME =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "bad or missing NAME '$NAME'"
[[ $IP =~ ^[0-9]+\.[0-9]+\.[0-9]+\.([0-9]+)$ ]] || die "bad or missing IP '$IP'"
OCTET=${BASH_REMATCH[1]}
[[ ${MAC,,} =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || die "bad or missing MAC '$MAC'"
MAC=${MAC,,}
[[ -n $USER_DATA && -r $USER_DATA ]] || die "user data file '$USER_DATA' not readable"
[[ -n $PUBLIC_KEY ]] || die "missing PUBLIC_KEY"
[[ $(id -u) -eq 0 ]] || die "must run as root"
HOSTNAME_MD=${E2E_VM_HOSTNAME:-ip-${IP//./-}}
TAP="${BRIDGE}t${OCTET}"
VMDIR="$STATE/vms/$NAME"
NETDIR="$STATE/net-$BRIDGE"

is_our_qemu() { # pid
  [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "qemu-system.*$VMDIR/"
}

mkdir -p "$VMDIR"
exec 8>"$VMDIR.lock"
flock 8

if [[ -s "$VMDIR/qemu.pid" ]] && is_our_qemu "$(cat "$VMDIR/qemu.pid")"; then
  echo "vm-start: $NAME already running (pid $(cat "$VMDIR/qemu.pid"))" >&2
  exit 0
fi
rm -f "$VMDIR/qemu.pid"

IMAGE_DIR=${E2E_IMAGE_DIR:-}
if [[ -z $IMAGE_DIR ]]; then
  IMAGE_DIR=$("$HERE/build-image.sh" | tail -n1)
fi
[[ -s "$IMAGE_DIR/base.qcow2" ]] || die "no base image in '$IMAGE_DIR'"

"$HERE/net-up.sh"

# --- fixed DHCP address for this MAC (replace any old line with this MAC or IP), then reload
(
  flock 9
  hosts="$NETDIR/dhcp-hosts"
  line="$MAC,$IP"
  if ! grep -qx "$line" "$hosts"; then
    grep -v -i -e "^$MAC," -e ",$IP\$" "$hosts" >"$hosts.new" || true
    echo "$line" >>"$hosts.new"
    mv "$hosts.new" "$hosts"
    kill -HUP "$(cat "$NETDIR/dnsmasq.pid")"
  fi
) 9>"$NETDIR.lock"

# --- disk: overlay on the base image, kept across a hard stop
if [[ ! -s "$VMDIR/disk.qcow2" ]]; then
  qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE_DIR/base.qcow2" "$VMDIR/disk.qcow2"
  echo "${E2E_VM_INSTANCE_ID:-i-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}" >"$VMDIR/instance-id"
fi
[[ -s "$VMDIR/instance-id" ]] || echo "i-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$VMDIR/instance-id"

# --- NoCloud seed (EC2-like meta-data: the key pair's public key in public-keys)
seed="$VMDIR/seed"
rm -rf "$seed"
mkdir -p "$seed"
{
  echo "instance-id: $(cat "$VMDIR/instance-id")"
  echo "local-hostname: $HOSTNAME_MD"
  echo "public-keys:"
  while IFS= read -r key; do
    [[ -n $key ]] && printf '  - "%s"\n' "${key//\"/\\\"}"
  done <<<"$PUBLIC_KEY"
} >"$seed/meta-data"
cp "$USER_DATA" "$seed/user-data"
rm -f "$VMDIR/seed.iso"
genisoimage -quiet -output "$VMDIR/seed.iso" -volid cidata -joliet -rock \
  "$seed/user-data" "$seed/meta-data"

# --- tap on the bridge
if ! ip link show dev "$TAP" >/dev/null 2>&1; then
  ip tuntap add dev "$TAP" mode tap
fi
ip link set dev "$TAP" master "$BRIDGE"
ip link set dev "$TAP" up

case "$ACCEL" in
  kvm) accel=(-accel kvm -cpu host) ;;
  tcg) accel=(-accel "tcg,tb-size=256" -cpu max) ;;
  *) die "E2E_ACCEL must be tcg or kvm, got '$ACCEL'" ;;
esac

cat >"$VMDIR/vm.env" <<ENV
NAME=$NAME
IP=$IP
MAC=$MAC
TAP=$TAP
BRIDGE=$BRIDGE
IMAGE_DIR=$IMAGE_DIR
ENV

rm -f "$VMDIR/qmp.sock"
echo "=== vm-start $(date -u +%FT%TZ) $NAME $IP $MAC" >>"$VMDIR/console.log"
qemu-system-x86_64 \
  -name "$NAME" \
  -machine pc -smp "$CPUS" -m "$MEMORY" "${accel[@]}" \
  -nodefaults -no-user-config -display none \
  -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" \
  -append "$(cat "$IMAGE_DIR/cmdline")" \
  -drive "file=$VMDIR/disk.qcow2,if=virtio,format=qcow2,discard=unmap" \
  -drive "file=$VMDIR/seed.iso,if=virtio,format=raw,readonly=on" \
  -netdev "tap,id=net0,ifname=$TAP,script=no,downscript=no" \
  -device "virtio-net-pci,netdev=net0,mac=$MAC" \
  -device virtio-rng-pci \
  -chardev "file,id=ser0,path=$VMDIR/console.log,append=on" -serial chardev:ser0 \
  -qmp "unix:$VMDIR/qmp.sock,server=on,wait=off" \
  -pidfile "$VMDIR/qemu.pid" \
  -daemonize 8>&- # do not hand the VM lock to qemu
echo "vm-start: $NAME started (pid $(cat "$VMDIR/qemu.pid"), $IP, $MAC, console $VMDIR/console.log)" >&2
