#!/usr/bin/env bash
# Readiness gate, run first on every node: cloud-init has finished (the engine is installed)
# and the container engine answers. Every cluster command depends on it.
set -euo pipefail
: "${ENGINE:=docker}"          # docker | containerd
: "${READY_TIMEOUT:=900}"      # seconds

if command -v cloud-init >/dev/null 2>&1; then
  # 0 = done, 2 = done with recoverable warnings; anything else means user data failed.
  rc=0
  timeout "$READY_TIMEOUT" cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    cloud-init status --long >&2 || true
    tail -n 20 /var/log/cloud-init-output.log >&2 2>/dev/null || true
    echo "cloud-init did not finish cleanly (exit $rc)" >&2
    exit 1
  fi
fi

engine_ready() {
  case "$ENGINE" in
    docker) docker info >/dev/null 2>&1 ;;
    containerd) ctr version >/dev/null 2>&1 ;;
    *) echo "unknown ENGINE=$ENGINE" >&2; exit 2 ;;
  esac
}

deadline=$((SECONDS + READY_TIMEOUT))
until engine_ready; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "$ENGINE did not answer within ${READY_TIMEOUT}s" >&2
    exit 1
  fi
  sleep 2
done
echo "ready: $ENGINE answers"
