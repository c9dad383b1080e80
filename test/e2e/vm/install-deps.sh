#!/usr/bin/env bash
# install-deps.sh — install the host packages the local e2e "cloud" needs (QEMU, mmdebstrap,
# dnsmasq, cloud-image-utils, ...). Idempotent and quick: apt runs only when a package is missing.
# Needs root. Env: E2E_EXTRA_PACKAGES (space-separated, optional) to add packages.
set -euo pipefail

packages=(
  qemu-system-x86 qemu-utils mmdebstrap dnsmasq-base cloud-image-utils genisoimage
  openssh-client iproute2 iptables e2fsprogs curl util-linux procps ca-certificates
  debian-archive-keyring nftables
)
# shellcheck disable=SC2206 # word splitting intended
packages+=(${E2E_EXTRA_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
