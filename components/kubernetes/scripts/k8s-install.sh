#!/usr/bin/env bash
# First boot, from cloud-init, on all nodes at once: what kubeadm needs on a node. Kernel modules
# and sysctls, swap off, containerd with the systemd cgroup driver, and kubeadm/kubelet/kubectl
# from pkgs.k8s.io pinned to one minor and held, with cri-tools (crictl: the gate asks the CRI
# through it) and iptables (kubeadm's preflight requires it; the kubelet package only recommends
# it). containerd comes from Docker's apt repository, which ships containerd 2: Kubernetes 1.36
# and later need it, and Debian 12 and Ubuntu 24.04 ship 1.x.
# Packages are installed only when missing, so an image that already has them needs no network.
set -euo pipefail
: "${KUBERNETES_VERSION:?Kubernetes minor version, such as 1.36}"
: "${CONTAINERD_MAJOR:?the oldest containerd major version this minor runs on}"
: "${APT_LOCK_TIMEOUT:?seconds to wait for another apt or dpkg}"
: "${APT_ATTEMPTS:?tries of each apt step}"
: "${K8S_APT_URL:=https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_VERSION}/deb/}"
: "${DOCKER_APT_URL:=https://download.docker.com/linux}"
: "${KEYRING_DIR:=/etc/apt/keyrings}"
: "${APT_SOURCES_DIR:=/etc/apt/sources.list.d}"
: "${OS_RELEASE:=/etc/os-release}"
: "${FSTAB:=/etc/fstab}"
: "${MODULES_FILE:=/etc/modules-load.d/kubernetes.conf}"
: "${SYSCTL_FILE:=/etc/sysctl.d/99-kubernetes.conf}"
: "${CONTAINERD_CONFIG:=/etc/containerd/config.toml}"
: "${CRICTL_CONFIG:=/etc/crictl.yaml}"

PACKAGES=(containerd.io kubelet kubeadm kubectl cri-tools iptables bash-completion)
HELD=(kubelet kubeadm kubectl)

# At first boot unattended-upgrades may hold the dpkg lock for minutes: apt waits for the lock
# itself (DPkg::Lock::Timeout, /var/lib/dpkg/lock-frontend), and a failing step (a mirror, a lock
# held past the timeout) is tried again. Not pgrep: unattended-upgrade-shutdown, named
# unattended-upgr too, runs for the machine's whole life on Debian 12 and Ubuntu 24.04.
apt_get() { RETRY_DELAY=10 retry "$APT_ATTEMPTS" apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" -o Acquire::Retries=3 -q "$@"; }
apt_mark() { RETRY_DELAY=10 retry "$APT_ATTEMPTS" apt-mark -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" "$@"; }
# fetch_key URL FILE: an apt signing key, dearmored.
fetch_key_once() { curl -fsSL "$1" | gpg --batch --yes --dearmor -o "$2"; }
fetch_key() { RETRY_DELAY=10 retry "$APT_ATTEMPTS" fetch_key_once "$@"; }

# The kubelet refuses to run with swap on.
swapoff -a
if [ -f "$FSTAB" ] && grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' "$FSTAB"; then
  sed -Ei '/^[^#].*[[:space:]]swap[[:space:]]/s/^/# /' "$FSTAB"
  echo "swap disabled in $FSTAB"
fi

put "$MODULES_FILE" $'overlay\nbr_netfilter' || true
modprobe overlay
modprobe br_netfilter
put "$SYSCTL_FILE" $'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1' || true
sysctl --system >/dev/null

installed_minor() {
  local version
  version=$(kubeadm version -o short 2>/dev/null) || return 0
  version=${version#v}
  echo "${version%.*}"
}

# "containerd containerd.io 2.2.1 <commit>" or "containerd github.com/containerd/containerd/v2 v2.2.2 <commit>"
containerd_version() {
  local version
  version=$(containerd --version 2>/dev/null | awk '{ print $3 }') || return 0
  echo "${version#v}"
}

containerd_new_enough() {
  local major
  major=$(containerd_version)
  major=${major%%.*}
  [[ $major =~ ^[0-9]+$ ]] && [ "$major" -ge "$CONTAINERD_MAJOR" ]
}

installed() {
  local tool
  for tool in containerd kubelet kubeadm kubectl crictl iptables; do
    command -v "$tool" >/dev/null 2>&1 || return 1
  done
  [ "$(installed_minor)" = "$KUBERNETES_VERSION" ] && containerd_new_enough
}

if installed; then
  echo "containerd $(containerd_version) and Kubernetes $KUBERNETES_VERSION packages already installed"
else
  # shellcheck source=/dev/null
  os_id=$(. "$OS_RELEASE" && echo "$ID")
  # shellcheck source=/dev/null
  codename=$(. "$OS_RELEASE" && echo "$VERSION_CODENAME")
  export DEBIAN_FRONTEND=noninteractive
  apt_get update
  apt_get install -y --no-install-recommends ca-certificates curl gpg
  mkdir -p "$KEYRING_DIR"
  fetch_key "$DOCKER_APT_URL/$os_id/gpg" "$KEYRING_DIR/docker.gpg"
  fetch_key "${K8S_APT_URL}Release.key" "$KEYRING_DIR/kubernetes.gpg"
  put "$APT_SOURCES_DIR/docker.list" \
    "deb [arch=$(dpkg --print-architecture) signed-by=$KEYRING_DIR/docker.gpg] $DOCKER_APT_URL/$os_id $codename stable" || true
  put "$APT_SOURCES_DIR/kubernetes.list" "deb [signed-by=$KEYRING_DIR/kubernetes.gpg] $K8S_APT_URL /" || true
  apt_get update
  # Another minor may be installed and held: the repository now offers only this one.
  if [ -n "$(installed_minor)" ]; then apt_mark unhold "${HELD[@]}" >/dev/null; fi
  apt_get install -y --no-install-recommends "${PACKAGES[@]}"
  apt_mark hold "${HELD[@]}"
fi

if ! containerd_new_enough; then
  echo "containerd $(containerd_version) is installed, but Kubernetes $KUBERNETES_VERSION needs containerd $CONTAINERD_MAJOR or later" \
    "($DOCKER_APT_URL ships it as containerd.io)" >&2
  exit 1
fi

# containerd's defaults with the systemd cgroup driver, which kubeadm configures the kubelet for.
config=$(containerd config default)
if grep -q 'SystemdCgroup = false' <<<"$config"; then
  config=$(sed -E 's/^([[:space:]]*)SystemdCgroup = false/\1SystemdCgroup = true/' <<<"$config")
else
  config=$(sed -E "/runtimes\.runc\.options\]/a\\            SystemdCgroup = true" <<<"$config")
fi
if ! grep -q 'SystemdCgroup = true' <<<"$config"; then
  echo "containerd's default config has no runc options section: cannot set SystemdCgroup" >&2
  exit 1
fi
if put "$CONTAINERD_CONFIG" "$config"; then
  systemctl restart containerd
fi
systemctl enable --now containerd
put "$CRICTL_CONFIG" $'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock' || true
# kubeadm starts the kubelet; until then it restarts in a loop, as it should.
systemctl enable kubelet
echo "node ready for kubeadm: containerd $(containerd_version) and Kubernetes $(kubeadm version -o short)"
