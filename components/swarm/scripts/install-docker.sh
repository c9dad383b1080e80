#!/usr/bin/env bash
# First boot, from cloud-init, on all nodes at once: install and start Docker.
# Installs only what is missing, so an image that already has the engine needs no network.
# apt waits for a held dpkg lock (unattended-upgrades runs at first boot on Ubuntu) and retries a
# failing mirror, within bounds: cloud-init runs this once, and the readiness gate reports a failure.
set -euo pipefail
: "${APT_LOCK_TIMEOUT:?seconds to wait for another apt or dpkg}"
: "${APT_ATTEMPTS:?tries of each apt step}"

apt_get() { apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" -o Acquire::Retries=3 -q "$@"; }

missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io apparmor)
command -v curl >/dev/null 2>&1 || missing+=(curl) # joins talk to the Docker API with it
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  RETRY_DELAY=10 retry "$APT_ATTEMPTS" apt_get update
  RETRY_DELAY=10 retry "$APT_ATTEMPTS" apt_get install -y --no-install-recommends "${missing[@]}"
fi
systemctl enable --now docker
# The course's commands run as the login user, without sudo.
if [ -n "${LOGIN_USER:-}" ] && id "$LOGIN_USER" >/dev/null 2>&1; then
  usermod -aG docker "$LOGIN_USER"
fi
