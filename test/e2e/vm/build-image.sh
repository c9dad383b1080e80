#!/usr/bin/env bash
# build-image.sh — build (or reuse) the Debian 12 guest image for the local e2e "cloud".
#
# The guest behaves like the Debian 12 AWS AMI as far as an EC2 user sees it: cloud-init with the
# default user `admin` (passwordless sudo), the NoCloud meta-data `public-keys` land in admin's
# authorized_keys, and the NoCloud user-data (#cloud-config or #!/bin/bash) runs in cloud-final.
# Docker (docker.io) is preinstalled, and since Docker Hub is unreachable two nginx images built
# from Debian's nginx package are baked in and imported at boot, before cloud-final, as
# cluster-lab/nginx:1 ("cluster-lab nginx v1") and cluster-lab/nginx:2 ("cluster-lab nginx v2"),
# with a stand-in for the course's visualizer, tagged dockersamples/visualizer: the same contract
# (reads the Docker socket, serves HTTP on 8080), here nginx answering the swarm's nodes and tasks
# as JSON straight from the Docker API.
#
# Output (cached, keyed by a hash of this script and the settings below):
#   ${E2E_CACHE:-/var/cache/cluster-lab-e2e}/image-<hash>/{base.qcow2,vmlinuz,initrd.img}
# The cache directory is printed on stdout as the last line; everything else goes to stderr.
# Boot with: -kernel vmlinuz -initrd initrd.img -append "$(cat cmdline)" (see vm-start.sh).
#
# Env: E2E_CACHE, E2E_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      E2E_DEBIAN_SECURITY (default http://deb.debian.org/debian-security),
#      E2E_IMAGE_SIZE (ext4 size of the root disk, default 6G), E2E_REBUILD=1 to force a rebuild.
# Internal: `build-image.sh customize-guest|customize-nginx ROOT` is run by mmdebstrap hooks.
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
SUITE=bookworm
MIRROR=${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${E2E_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
IMAGE_SIZE=${E2E_IMAGE_SIZE:-6G}
CACHE=${E2E_CACHE:-/var/cache/cluster-lab-e2e}
CMDLINE="root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 biosdevname=0 panic=10"

GUEST_PACKAGES=(
  linux-image-cloud-amd64 initramfs-tools systemd systemd-sysv udev dbus openssh-server
  docker.io iproute2 iputils-ping curl ca-certificates cloud-init sudo kmod netbase procps
  iptables ipvsadm apparmor less
)

# ---------------------------------------------------------------------------------------------
# Hooks (run by mmdebstrap with the chroot's root directory as $1; /proc, /sys, /dev are mounted)
# ---------------------------------------------------------------------------------------------
customize_nginx() {
  local root=$1
  cat >"$root/etc/nginx/sites-available/default" <<'EOF'
# cluster-lab sample site: the index page names the version and the container's hostname (SSI)
server {
    listen 80 default_server;
    root /var/www/html;
    index index.html;
    ssi on;
    location / {
        try_files $uri $uri/ =404;
    }
    location = /hostname {
        default_type text/plain;
        return 200 "$hostname\n";
    }
}
EOF
  ln -sf ../sites-available/default "$root/etc/nginx/sites-enabled/default"
  rm -f "$root/var/www/html/index.nginx-debian.html"
  # logs to the container's stdout/stderr, like the official image
  ln -sf /dev/stdout "$root/var/log/nginx/access.log"
  ln -sf /dev/stderr "$root/var/log/nginx/error.log"
  mkdir -p "$root/run" "$root/var/lib/nginx" "$root/var/log/nginx" "$root/var/www/html"
  printf 'localhost\n' >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb
  nginx_test "$root" nginx
}

# nginx -t opens its logs, links to /dev/stdout and /dev/stderr; when those are sockets (a test
# runner's stdio: libuv hands children socketpairs) the open fails with ENXIO, so give it a pipe.
nginx_test() { # root nginx-path
  chroot "$1" "$2" -t 2>&1 | cat >&2
}

customize_guest() {
  local root=$1

  # --- identity: a fresh machine-id and fresh SSH host keys per instance
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id" "$root/etc/ssh/ssh_host_"*
  printf 'localhost\n' >"$root/etc/hostname"
  cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
  # The lab has no DNS (and no route out).
  : >"$root/etc/resolv.conf"
  printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' >"$root/etc/fstab"

  # --- network: systemd-networkd, DHCP on the single NIC (address fixed per MAC by the host)
  mkdir -p "$root/etc/systemd/network"
  cat >"$root/etc/systemd/network/10-lab.network" <<'EOF'
[Match]
Name=eth* en*

[Network]
DHCP=ipv4

[DHCPv4]
UseDNS=no
UseNTP=no
EOF
  chroot "$root" systemctl enable systemd-networkd.service
  mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
  cat >"$root/etc/systemd/system/systemd-networkd-wait-online.service.d/lab.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=120
EOF

  # --- cloud-init: NoCloud only, EC2-like default user `admin`, no steps that need a network
  cat >"$root/etc/cloud/cloud.cfg.d/90_cluster_lab.cfg" <<'EOF'
# cluster-lab local e2e guest: NoCloud seed, behaves like the Debian 12 AMI for its user
datasource_list: [NoCloud, None]
network: {config: disabled}
locale: false
grub_dpkg: {enabled: false}
manage_etc_hosts: localhost
# RSA host keys take ~10 s to generate under TCG (on the SSH critical path); ed25519 + ecdsa only
ssh_genkeytypes: [ed25519, ecdsa]
ssh:
  emit_keys_to_console: false
apt:
  preserve_sources_list: true
system_info:
  default_user:
    name: admin
    lock_passwd: true
    gecos: Debian
    groups: [adm, audio, cdrom, dialout, dip, floppy, plugdev, sudo, video]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
EOF

  # --- sshd must start even if cloud-init failed to create host keys
  cat >"$root/etc/systemd/system/lab-ssh-hostkeys.service" <<'EOF'
[Unit]
Description=Generate missing SSH host keys (fallback for cloud-init)
After=cloud-init.service
Before=ssh.service
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
  chroot "$root" systemctl enable lab-ssh-hostkeys.service

  # --- nginx images: imported after docker starts and before cloud-final (user data) runs
  cat >"$root/usr/local/sbin/lab-import-images" <<'EOF'
#!/bin/sh
# Import the baked-in nginx root filesystems as docker images (skipping tags already present).
set -eu
present=$(docker image ls --format '{{.Repository}}:{{.Tag}}')
import_image() { # tar tag port
  if printf '%s\n' "$present" | grep -qx "$2"; then
    return 0
  fi
  docker import -c 'CMD ["nginx","-g","daemon off;"]' -c "EXPOSE $3" \
    "/usr/local/share/cluster-lab/images/$1.tar" "$2"
}
import_image nginx-1 cluster-lab/nginx:1 80
import_image nginx-2 cluster-lab/nginx:2 80
import_image visualizer dockersamples/visualizer:latest 8080
EOF
  chmod 0755 "$root/usr/local/sbin/lab-import-images"
  cat >"$root/etc/systemd/system/lab-import-images.service" <<'EOF'
[Unit]
Description=Import the baked-in cluster-lab nginx images into docker
Requires=docker.service
After=docker.service
Before=cloud-final.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lab-import-images

[Install]
WantedBy=multi-user.target cloud-final.service
EOF
  chroot "$root" systemctl enable lab-import-images.service

  # --- every process's command line during the first minutes after boot, root only: a test can
  # prove that no secret was ever a process argument. Event-driven (the kernel reports each exec):
  # polling /proc under emulation took a fifth of a guest's CPU.
  cat >"$root/usr/local/sbin/lab-cmdline-sampler" <<'EOF'
#!/usr/bin/python3
"""Appends each distinct process command line to OUT for DURATION s after boot: every exec as the
kernel reports it (proc connector), plus a full /proc scan every SCAN s for what it missed."""
import os, select, socket, struct, time
OUT, DURATION, SCAN = os.environ.get("SAMPLER_OUT", "/var/lib/cluster-lab/cmdlines"), 25 * 60, 10
os.makedirs(os.path.dirname(OUT), mode=0o700, exist_ok=True)
os.umask(0o077)
seen = set()
out = open(OUT, "a", encoding="utf-8", errors="backslashreplace")

def record(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return
    line = raw.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "backslashreplace").replace("\n", "\\n")
    if line and line not in seen:
        seen.add(line)
        out.write(line + "\n")

def scan():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            record(pid)
    out.flush()

def connector():
    # NETLINK_CONNECTOR, CN_IDX_PROC/CN_VAL_PROC, PROC_CN_MCAST_LISTEN
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)
    s.bind((os.getpid(), 1))
    op = struct.pack("I", 1)
    cn = struct.pack("IIIIHH", 1, 1, 0, 0, len(op), 0) + op
    s.send(struct.pack("IHHII", 16 + len(cn), 3, 0, 0, os.getpid()) + cn)
    return s

try:
    sock = connector()
except OSError:
    sock = None
deadline = time.monotonic() + DURATION
next_scan = 0.0
while time.monotonic() < deadline:
    now = time.monotonic()
    if now >= next_scan:
        scan()
        next_scan = now + (SCAN if sock else 0.5)
    if sock is None:
        time.sleep(max(0.0, next_scan - time.monotonic()))
        continue
    ready, _, _ = select.select([sock], [], [], max(0.0, next_scan - time.monotonic()))
    if not ready:
        continue
    data = sock.recv(65536)
    # nlmsghdr (16) + cn_msg (20) + proc_event: what, cpu, timestamp (16) + exec: pid, tgid
    if len(data) >= 60 and struct.unpack_from("I", data, 36)[0] == 2:
        record(struct.unpack_from("I", data, 52)[0])
        out.flush()
EOF
  chmod 0700 "$root/usr/local/sbin/lab-cmdline-sampler"
  cat >"$root/etc/systemd/system/lab-cmdline-sampler.service" <<'EOF'
[Unit]
Description=Record process command lines during the first minutes after boot
DefaultDependencies=no
After=local-fs.target

[Service]
ExecStart=/usr/local/sbin/lab-cmdline-sampler
Nice=10

[Install]
WantedBy=multi-user.target
EOF
  chroot "$root" systemctl enable lab-cmdline-sampler.service

  # --- boot speed: nothing periodic, nothing that needs the internet; no AppArmor profiles to
  # compile at boot for programs the lab never runs (docker loads its own docker-default)
  rm -f "$root/etc/apparmor.d/sbin.dhclient" "$root/etc/apparmor.d/lsb_release" \
    "$root/etc/apparmor.d/nvidia_modprobe"
  local t
  # (every unit started at boot costs seconds of emulated CPU while cloud-init waits for it)
  for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer man-db.timer modprobe@drm.service modprobe@efi_pstore.service \
    modprobe@fuse.service modprobe@dm_mod.service modprobe@loop.service \
    sys-kernel-debug.mount sys-kernel-tracing.mount systemd-network-generator.service \
    systemd-pstore.service; do
    chroot "$root" systemctl mask "$t" >/dev/null 2>&1 || true
  done

  # --- small initramfs that can mount /dev/vda
  printf 'MODULES=list\n' >"$root/etc/initramfs-tools/conf.d/lab.conf"
  printf '%s\n' virtio_pci virtio_blk virtio_net ext4 >>"$root/etc/initramfs-tools/modules"
  chroot "$root" update-initramfs -u -k all

  rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb
}

case "${1:-}" in
  customize-guest)
    customize_guest "$2"
    exit 0
    ;;
  customize-nginx)
    customize_nginx "$2"
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: $0" >&2
    exit 2
    ;;
esac

# ---------------------------------------------------------------------------------------------
# Cache lookup
# ---------------------------------------------------------------------------------------------
exec 3>&1 1>&2 # stdout is reserved for the result line

hash=$({
  cat "$SCRIPT"
  printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY" "$IMAGE_SIZE"
} |
  sha256sum | cut -c1-16)
out="$CACHE/image-$hash"

have_image() {
  [[ -s "$out/base.qcow2" && -s "$out/vmlinuz" && -s "$out/initrd.img" && -s "$out/cmdline" ]]
}

if [[ "${E2E_REBUILD:-0}" != 1 ]] && have_image; then
  echo "$out" >&3
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
if [[ "${E2E_REBUILD:-0}" != 1 ]] && have_image; then # built by a concurrent caller
  echo "$out" >&3
  exit 0
fi

[[ $(id -u) -eq 0 ]] || {
  echo "build-image: must run as root" >&2
  exit 1
}
for cmd in mmdebstrap mkfs.ext4 qemu-img; do
  command -v "$cmd" >/dev/null || {
    echo "build-image: $cmd missing; run install-deps.sh" >&2
    exit 1
  }
done

start=$SECONDS
work=$(mktemp -d "$CACHE/build.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

sources=(
  "deb $MIRROR $SUITE main"
  "deb $MIRROR $SUITE-updates main"
  "deb $SECURITY $SUITE-security main"
)
common=(
  --variant=minbase
  --aptopt='Acquire::Check-Valid-Until "false"'
  --aptopt='Acquire::Languages "none"'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
)

# --- nginx container root filesystem, tarred twice with a different index page
echo "build-image: building nginx rootfs" >&2
mmdebstrap "${common[@]}" --include=nginx,curl \
  --customize-hook="bash '$SCRIPT' customize-nginx \"\$1\"" \
  "$SUITE" "$work/nginx" "${sources[@]}"
# Keep only what nginx needs (the full minbase tree is ~150 MB and takes minutes to
# `docker import` under TCG; this is ~10 MB and takes seconds).
min="$work/nginx-min"
mkdir -p "$min"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,usr/share,etc,var/log,var/lib,var/www,run,tmp,dev,proc,sys}
chmod 1777 "$min/tmp"
for l in bin sbin lib lib64; do ln -s "usr/$l" "$min/$l"; done
cp -a "$work/nginx/usr/sbin/nginx" "$min/usr/sbin/"
cp -a "$work/nginx/usr/bin/dash" "$work/nginx/usr/bin/curl" "$min/usr/bin/"
ln -s dash "$min/usr/bin/sh"
# curl as in the official nginx image (for health checks: curl -fsS http://127.0.0.1/)
chroot "$work/nginx" ldd /usr/sbin/nginx /usr/bin/dash /usr/bin/curl | awk '/^\t/ {for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}' |
  sort -u | while read -r lib; do
  dir=$(chroot "$work/nginx" readlink -f "$(dirname "$lib")")
  cp -L "$work/nginx$lib" "$min$dir/$(basename "$lib")"
done
for f in etc/nginx usr/share/nginx var/www/html var/log/nginx var/lib/nginx etc/passwd etc/group \
  etc/nsswitch.conf etc/ld.so.cache etc/os-release usr/lib/os-release etc/hostname etc/resolv.conf; do
  cp -a "$work/nginx/$f" "$min/$f"
done
nginx_test "$min" /usr/sbin/nginx
chroot "$min" /usr/bin/curl --version >/dev/null
mkdir -p "$work/images"
for v in 1 2; do
  cat >"$min/var/www/html/index.html" <<EOF
<!DOCTYPE html>
<html>
<head><title>cluster-lab nginx v$v</title></head>
<body>
<h1>cluster-lab nginx v$v</h1>
<p>served by <!--# echo var="hostname" --></p>
</body>
</html>
EOF
  tar --numeric-owner -C "$min" -cf "$work/images/nginx-$v.tar" .
done
# The visualizer stand-in: the same files, nginx as root (the socket is root's) proxying to the API.
cat >"$min/etc/nginx/sites-available/default" <<'EOF'
# cluster-lab visualizer stand-in: the swarm as the Docker socket tells it
server {
    listen 8080 default_server;
    proxy_set_header Host docker;
    location = / {
        proxy_pass http://unix:/var/run/docker.sock:/nodes;
    }
    location = /tasks {
        proxy_pass http://unix:/var/run/docker.sock:/tasks;
    }
}
EOF
sed -i 's/^user www-data;/user root;/' "$min/etc/nginx/nginx.conf"
grep -qx 'user root;' "$min/etc/nginx/nginx.conf"
nginx_test "$min" /usr/sbin/nginx
tar --numeric-owner -C "$min" -cf "$work/images/visualizer.tar" .
rm -rf "$work/nginx" "$work/nginx-min"
echo "build-image: nginx rootfs done at $((SECONDS - start))s" >&2

# --- guest root filesystem
include=$(
  IFS=,
  echo "${GUEST_PACKAGES[*]}"
)
mmdebstrap "${common[@]}" --include="$include" \
  --customize-hook="bash '$SCRIPT' customize-guest \"\$1\"" \
  "$SUITE" "$work/rootfs" "${sources[@]}"
mkdir -p "$work/rootfs/usr/local/share/cluster-lab/images"
mv "$work/images/"*.tar "$work/rootfs/usr/local/share/cluster-lab/images/"
echo "build-image: guest rootfs done at $((SECONDS - start))s" >&2

# --- disk: ext4 without partition table, kernel and initrd outside (direct kernel boot)
mkdir -p "$work/out"
kernel=$(find "$work/rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)
initrd=$(find "$work/rootfs/boot" -maxdepth 1 -name 'initrd.img-*' | sort | tail -n1)
cp "$kernel" "$work/out/vmlinuz"
cp "$initrd" "$work/out/initrd.img"
printf '%s\n' "$CMDLINE" >"$work/out/cmdline"
truncate -s "$IMAGE_SIZE" "$work/base.raw"
mkfs.ext4 -q -F -L root -d "$work/rootfs" "$work/base.raw"
rm -rf "$work/rootfs"
qemu-img convert -f raw -O qcow2 "$work/base.raw" "$work/out/base.qcow2"
rm -f "$work/base.raw"
printf 'built %s in %ss from %s\n' "$(date -u +%FT%TZ)" "$((SECONDS - start))" "$SCRIPT" \
  >"$work/out/BUILD_INFO"

rm -rf "$out"
mv "$work/out" "$out"
echo "build-image: done in $((SECONDS - start))s: $out" >&2
echo "$out" >&3
