#!/usr/bin/env bash
# Operator entry point on the local state backend (or PULUMI_BACKEND_URL when set):
#   scripts/lab.sh up [stack] [pulumi up flags...]     build the lab, save its SSH key as <stack>.pem
#   scripts/lab.sh destroy [stack] [flags...]          remove every resource of the lab
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?usage: scripts/lab.sh up|destroy [stack] [pulumi flags...]}
stack=${2:-dev}
shift $(($# < 2 ? $# : 2))
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://~}

case "$action" in
  up)
    pulumi stack select --create "$stack"
    pulumi up "$@"
    # The generated key (absent with lab:sshPublicKey) goes to a file only the operator can read.
    if key=$(pulumi stack output privateKey --show-secrets 2>/dev/null) && [ -n "$key" ]; then
      (umask 077 && printf '%s\n' "$key" >"$stack.pem")
      echo "SSH key saved to $stack.pem; see: pulumi stack output sshCommands"
    fi
    ;;
  destroy)
    pulumi stack select "$stack"
    pulumi destroy "$@"
    rm -f "$stack.pem"
    ;;
  *)
    echo "unknown action: $action (up or destroy)" >&2
    exit 2
    ;;
esac
