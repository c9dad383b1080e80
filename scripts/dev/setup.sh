#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for the tests: apt packages (script tests, lint, the local
# VM end-to-end test), then the npm packages from the lock file. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
missing=()
for tool in shellcheck:shellcheck shfmt:shfmt jq:jq curl:curl ssh:openssh-client ssh-keygen:openssh-client; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
$sudo bash test/e2e/vm/install-deps.sh

npm ci --no-audit --no-fund
