#!/usr/bin/env bash
# First boot, from cloud-init, on all nodes at once: what kubeadm needs on a node. Kernel modules
# and sysctls, swap off, containerd with the systemd cgroup driver, and kubeadm/kubelet/kubectl
# from pkgs.k8s.io pinned to one minor and held. containerd comes from Docker's apt repository:
# Kubernetes after 1.35 needs containerd 2, which neither Debian 12 nor Ubuntu 24.04 ships.
# Packages are installed only when missing, so an image that already has them needs no network.
set -euo pipefail
: "${KUBERNETES_VERSION:?Kubernetes minor version, such as 1.36}"
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

# put FILE TEXT: writes FILE only when its content differs; succeeds when it wrote.
put() {
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then return 1; fi
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >"$1"
  echo "wrote $1"
}

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

if command -v containerd >/dev/null 2>&1 && command -v kubelet >/dev/null 2>&1 &&
  command -v kubectl >/dev/null 2>&1 && [ "$(installed_minor)" = "$KUBERNETES_VERSION" ]; then
  echo "containerd and Kubernetes $KUBERNETES_VERSION packages already installed"
else
  # shellcheck source=/dev/null
  os_id=$(. "$OS_RELEASE" && echo "$ID")
  # shellcheck source=/dev/null
  codename=$(. "$OS_RELEASE" && echo "$VERSION_CODENAME")
  export DEBIAN_FRONTEND=noninteractive
  apt_get() { apt-get -o Acquire::Retries=5 -q "$@"; }
  apt_get update
  apt_get install -y --no-install-recommends ca-certificates curl gpg
  mkdir -p "$KEYRING_DIR"
  curl -fsSL --retry 5 "$DOCKER_APT_URL/$os_id/gpg" | gpg --batch --yes --dearmor -o "$KEYRING_DIR/docker.gpg"
  curl -fsSL --retry 5 "${K8S_APT_URL}Release.key" | gpg --batch --yes --dearmor -o "$KEYRING_DIR/kubernetes.gpg"
  put "$APT_SOURCES_DIR/docker.list" \
    "deb [arch=$(dpkg --print-architecture) signed-by=$KEYRING_DIR/docker.gpg] $DOCKER_APT_URL/$os_id $codename stable" || true
  put "$APT_SOURCES_DIR/kubernetes.list" "deb [signed-by=$KEYRING_DIR/kubernetes.gpg] $K8S_APT_URL /" || true
  apt_get update
  # Another minor may be installed and held: the repository now offers only this one.
  apt-mark unhold kubelet kubeadm kubectl >/dev/null || true
  apt_get install -y --no-install-recommends containerd.io kubelet kubeadm kubectl
  apt-mark hold kubelet kubeadm kubectl
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
echo "node ready for kubeadm: containerd and Kubernetes $(kubeadm version -o short)"
