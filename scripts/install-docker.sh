#!/usr/bin/env bash
# First boot, from cloud-init, on all nodes at once: install and start Docker.
# Installs only what is missing, so an image that already has the engine needs no network.
set -euo pipefail

if ! command -v docker >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o Acquire::Retries=5 update -q
  apt-get -o Acquire::Retries=5 install -y -q --no-install-recommends docker.io apparmor
fi
systemctl enable --now docker
