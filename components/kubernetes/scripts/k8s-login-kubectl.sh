#!/usr/bin/env bash
# On a control plane: kubectl for the login user, as the Vagrant labs the courses follow set it up:
# its own copy of the admin kubeconfig in ~/.kube/config (mode 600, owned by it), bash completion,
# and `k` as an alias that completes too. The copy is refreshed when admin.conf changes.
set -euo pipefail
: "${LOGIN_USER:?login user of the image: admin on Debian, ubuntu on Ubuntu}"
: "${ADMIN_CONF:=/etc/kubernetes/admin.conf}"
: "${COMPLETION_FILE:=/etc/bash_completion.d/kubectl}"
LOGIN_HOME=${LOGIN_HOME:-$(getent passwd "$LOGIN_USER" | cut -d: -f6)}

if [ -z "$LOGIN_HOME" ] || [ ! -d "$LOGIN_HOME" ]; then
  echo "the login user $LOGIN_USER has no home directory" >&2
  exit 1
fi
if [ ! -s "$ADMIN_CONF" ]; then
  echo "$ADMIN_CONF is missing: this node is not a control plane yet" >&2
  exit 1
fi
group=$(id -gn "$LOGIN_USER")

install -d -m 700 -o "$LOGIN_USER" -g "$group" "$LOGIN_HOME/.kube"
if ! cmp -s "$ADMIN_CONF" "$LOGIN_HOME/.kube/config"; then
  install -m 600 -o "$LOGIN_USER" -g "$group" "$ADMIN_CONF" "$LOGIN_HOME/.kube/config"
  echo "wrote $LOGIN_HOME/.kube/config"
fi

completion=$(kubectl completion bash)
if [ ! -f "$COMPLETION_FILE" ] || [ "$(cat "$COMPLETION_FILE")" != "$completion" ]; then
  mkdir -p "$(dirname "$COMPLETION_FILE")"
  printf '%s\n' "$completion" >"$COMPLETION_FILE"
  echo "wrote $COMPLETION_FILE"
fi

bashrc="$LOGIN_HOME/.bashrc"
begin="# BEGIN cluster-lab kubectl"
if ! grep -qxF "$begin" "$bashrc" 2>/dev/null; then
  printf '%s\n' "$begin" "alias k=kubectl" "complete -o default -F __start_kubectl k" "# END cluster-lab kubectl" >>"$bashrc"
  chown "$LOGIN_USER:$group" "$bashrc"
  echo "added the alias k to $bashrc"
fi
echo "kubectl ready for $LOGIN_USER"
