#!/usr/bin/env bash
# Readiness gate, run first on every node: cloud-init has finished (the engine is installed)
# and the container engine answers. Every cluster command depends on it.
set -euo pipefail
: "${ENGINE:?docker or containerd}"
: "${READY_TIMEOUT:?seconds}"
: "${INSTALL_SCRIPT:=}" # the first-boot install, named in the recovery hint

if command -v cloud-init >/dev/null 2>&1; then
  # 0 = done, 2 = done with recoverable warnings; anything else means user data failed.
  rc=0
  timeout "$READY_TIMEOUT" cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    cloud-init status --long >&2 || true
    echo "--- last lines of /var/log/cloud-init-output.log:" >&2
    tail -n 25 /var/log/cloud-init-output.log >&2 2>/dev/null || true
    echo "cloud-init did not finish cleanly (exit $rc): the first-boot install failed and does not run again by itself." >&2
    if [ -n "$INSTALL_SCRIPT" ]; then
      echo "recover: scripts/operator/lab.sh ssh ${LAB_NODE:-<node>} sudo bash $INSTALL_SCRIPT   then run pulumi up again" >&2
    fi
    exit 1
  fi
fi

engine_ready() {
  case "$ENGINE" in
    docker) docker info >/dev/null 2>&1 ;;
    # The CRI plugin itself answers (what the kubelet talks to), not just containerd's own API.
    containerd) crictl --runtime-endpoint unix:///run/containerd/containerd.sock info >/dev/null 2>&1 ;;
    *)
      echo "unknown ENGINE=$ENGINE" >&2
      exit 2
      ;;
  esac
}

wait_until "$READY_TIMEOUT" "$ENGINE to answer" engine_ready
echo "ready: $ENGINE answers"
