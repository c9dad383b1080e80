#!/usr/bin/env bash
# The operator's entry point: one Pulumi stack is one lab.
#   up [stack] [pulumi up flags...]        build or update the lab; save its SSH key as <stack>.pem
#   destroy [stack] [pulumi destroy flags...]
#   status                                 nodes, roles, URLs, expiry and cost per hour
#   ssh <node> [command...]                log in to a node (its pinned host key checked)
#   kubeconfig [--merge]                   save the kubeconfig as <stack>.kubeconfig; --merge adds it to
#                                          ~/.kube/config as context cluster-lab-<stack>
#   extend <hours> [pulumi up flags...]    move the expiry: every node keeps running that much longer
#   reset                                  return prepared nodes (lab:form nodes) to unformed
# The stack is --stack NAME, else $LAB_STACK, else dev (up and destroy also take it as their first
# argument). The backend is $PULUMI_BACKEND_URL when set, else your current `pulumi login`, else the
# local backend (file://~); this script logs in to it, so that your own later `pulumi` commands in this
# directory talk to the same backend.
set -euo pipefail
cd "$(dirname "$0")/../.."
# npm ci installs Node 22 (the Pulumi SDK's minimum) here; Pulumi runs the program with it.
if [ -x node_modules/.bin/node ]; then PATH="$PWD/node_modules/.bin:$PATH"; fi

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}/  /' >&2
  echo "usage: scripts/operator/lab.sh up|destroy|status|ssh|kubeconfig|extend|reset [--stack NAME] [arguments]" >&2
  exit 2
}
die() {
  echo "lab.sh: $*" >&2
  exit 1
}

action=${1:-}
[ -n "$action" ] || usage
shift
stack=${LAB_STACK:-dev}
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --stack | -s)
      stack=${2:?--stack needs a name}
      shift 2
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
set -- "${args[@]+"${args[@]}"}"
if [[ $action == up || $action == destroy ]] && [ $# -gt 0 ] && [[ $1 != -* ]]; then
  stack=$1
  shift
fi

command -v pulumi >/dev/null 2>&1 ||
  die "the Pulumi CLI is not installed: curl -fsSL https://get.pulumi.com | sh   (or see https://www.pulumi.com/docs/install/)"
command -v jq >/dev/null 2>&1 || die "jq is not installed (apt install jq, brew install jq)"

# pulumi-command dials SSH_AUTH_SOCK before every SSH connection, even with the lab's own key: where
# no agent answers (a forwarded agent whose session ended), every node step would fail.
agent_answers() {
  [ -S "$SSH_AUTH_SOCK" ] || return 1
  command -v ssh-add >/dev/null 2>&1 || return 0
  local rc=0
  timeout 5 ssh-add -l >/dev/null 2>&1 || rc=$?
  [ "$rc" -le 1 ] # 0: keys, 1: an agent without keys, 2: no agent answers
}
if [ -n "${SSH_AUTH_SOCK:-}" ] && ! agent_answers; then
  echo "SSH_AUTH_SOCK is $SSH_AUTH_SOCK, where no ssh-agent answers: unset for this run" >&2
  unset SSH_AUTH_SOCK
fi

# Logs in to the chosen backend, so that later pulumi commands use it too; prints its URL.
use_backend() {
  local url
  if [ -n "${PULUMI_BACKEND_URL:-}" ]; then
    url=$PULUMI_BACKEND_URL
  elif ! url=$(pulumi whoami --json 2>/dev/null | jq -er .url); then
    url="file://~"
  fi
  pulumi login "$url" >/dev/null
  echo "$url"
}

# A DIY backend keeps stack secrets under a passphrase: ask once, or name the variable to set.
need_passphrase() {
  [[ $1 == https://* ]] && return 0
  [ -n "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && return 0
  if [ -t 0 ] && [ -t 2 ]; then
    read -r -s -p "Passphrase for the secrets of stack $stack (keep it: it unlocks the lab's SSH key): " PULUMI_CONFIG_PASSPHRASE
    echo >&2
    export PULUMI_CONFIG_PASSPHRASE
  else
    die "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the stack's secrets on $1 are encrypted with it, and there is no terminal to ask"
  fi
}

backend() { need_passphrase "$(use_backend)"; }

# The generated key, read from the state rather than the outputs: a first `up` that failed after
# the instances existed has no outputs yet, and the operator needs the key to look at the nodes.
save_key() {
  local key
  key=$(pulumi stack export --stack "$stack" --show-secrets 2>/dev/null | jq -r '
      [.deployment.resources[]? | select(.type == "tls:index/privateKey:PrivateKey" and (.urn | endswith("::lab-ssh")))
       | .outputs.privateKeyOpenssh]
      | first // empty
      | if type == "object" then (.plaintext | fromjson) else . end') || key=""
  if [ -n "$key" ]; then
    (umask 077 && printf '%s\n' "$key" >"$stack.pem")
    echo "SSH key saved to $stack.pem"
  fi
}

outputs() {
  pulumi stack output --stack "$stack" --json 2>/dev/null || die "stack $stack has no outputs: run scripts/operator/lab.sh up first"
}

# The lab's minutes to expiry from its config: lab:ttl (8h, 90m, 2h30m, 0) or lab:ttlHours.
ttl_minutes() {
  local ttl hours
  if ttl=$(pulumi config get --stack "$stack" lab:ttl 2>/dev/null); then
    [[ $ttl =~ ^(([0-9]+)h)?(([0-9]+)m)?$ ]] || [ "$ttl" = 0 ] || die "lab:ttl is \"$ttl\": not a duration"
    echo $((10#${BASH_REMATCH[2]:-0} * 60 + 10#${BASH_REMATCH[4]:-0}))
  elif hours=$(pulumi config get --stack "$stack" lab:ttlHours 2>/dev/null); then
    echo $((10#$hours * 60))
  else
    echo 480
  fi
}

# ssh options that accept only the node's own host key, as the program does.
ssh_to() { # node -> prints the ssh arguments for it
  local node=$1 out ip user
  out=$(outputs)
  ip=$(jq -r --arg n "$node" '.nodes[] | select(.name == $n) | .publicIp' <<<"$out")
  [ -n "$ip" ] || die "no node named '$node' in lab $stack; nodes: $(jq -r '[.nodes[].name] | join(", ")' <<<"$out")"
  user=$(jq -r --arg n "$node" '[.nodes[].name] as $names | .sshCommands[$names | index($n)]' <<<"$out" | sed -E 's/.* ([^ @]+)@[^ ]+$/\1/')
  jq -r '.nodes[] | "\(.publicIp) \(.hostKey)"' <<<"$out" >"$stack.known_hosts"
  printf '%s\n' -o "UserKnownHostsFile=$stack.known_hosts" -o StrictHostKeyChecking=yes
  if [ -f "$stack.pem" ]; then printf '%s\n' -i "$stack.pem" -o IdentitiesOnly=yes; fi
  printf '%s\n' "$user@$ip"
}

case "$action" in
  up)
    backend
    pulumi stack select --create "$stack"
    status=0
    pulumi up --stack "$stack" "$@" || status=$?
    save_key
    [ "$status" -ne 0 ] || echo "see: scripts/operator/lab.sh status --stack $stack"
    exit "$status"
    ;;
  destroy)
    backend
    pulumi stack select "$stack"
    pulumi destroy --stack "$stack" "$@"
    rm -f "$stack.pem" "$stack.known_hosts" "$stack.kubeconfig"
    ;;
  status)
    use_backend >/dev/null
    exec scripts/operator/lab-status.sh "$stack"
    ;;
  ssh)
    [ $# -gt 0 ] || die "usage: scripts/operator/lab.sh ssh <node> [command...]"
    use_backend >/dev/null
    node=$1
    shift
    options=$(ssh_to "$node")
    mapfile -t target <<<"$options"
    exec ssh "${target[@]}" "$@"
    ;;
  kubeconfig)
    backend
    (umask 077 && pulumi stack output --stack "$stack" kubeconfig --show-secrets >"$stack.kubeconfig.new") ||
      die "stack $stack has no kubeconfig output (a Kubernetes lab has one once pulumi up has formed it)"
    mv "$stack.kubeconfig.new" "$stack.kubeconfig"
    echo "kubeconfig saved to $stack.kubeconfig: kubectl --kubeconfig $stack.kubeconfig get nodes"
    if [ "${1:-}" = --merge ]; then tsx scripts/operator/merge-kubeconfig.ts "$stack.kubeconfig"; fi
    ;;
  extend)
    if ! [[ ${1:-} =~ ^[1-9][0-9]{0,2}$ ]]; then
      die "usage: scripts/operator/lab.sh extend <hours> (a whole number of hours, 1 to 999)"
    fi
    hours=$1
    shift
    backend
    current=$(ttl_minutes)
    [ "$current" -gt 0 ] || die "lab $stack never expires (lab:ttl 0): there is nothing to extend"
    total=$((current + hours * 60))
    pulumi config set --stack "$stack" lab:ttl "$((total / 60))h$((total % 60))m"
    pulumi config rm --stack "$stack" lab:ttlHours >/dev/null 2>&1 || true
    pulumi up --stack "$stack" "$@"
    echo "lab $stack now expires at $(pulumi stack output --stack "$stack" expiresAt)"
    ;;
  reset)
    use_backend >/dev/null
    out=$(outputs)
    jq -e 'has("nextSteps")' <<<"$out" >/dev/null ||
      die "reset returns prepared nodes (lab:form nodes) to unformed; lab $stack was formed by pulumi up, which would not form it again"
    case $(jq -r '.lab.orchestrator' <<<"$out") in
      kubernetes) undo="sudo kubeadm reset -f && sudo rm -rf /etc/cni/net.d \$HOME/.kube/config" ;;
      *) undo="docker swarm leave --force >/dev/null 2>&1 || true; docker info --format '{{.Swarm.LocalNodeState}}'" ;;
    esac
    failed=0
    for node in $(jq -r '.nodes[].name' <<<"$out"); do
      options=$(ssh_to "$node")
      mapfile -t target <<<"$options"
      # shellcheck disable=SC2029 # $undo is meant to run on the node
      if said=$(ssh "${target[@]}" "$undo" 2>&1); then
        echo "$node: $(tail -n 1 <<<"$said")"
      else
        echo "$node: failed: $(tail -n 3 <<<"$said")" >&2
        failed=1
      fi
    done
    [ "$failed" -eq 0 ] && echo "every node is back to unformed: see pulumi stack output nextSteps --stack $stack"
    exit "$failed"
    ;;
  *)
    echo "lab.sh: unknown action '$action'" >&2
    usage
    ;;
esac
