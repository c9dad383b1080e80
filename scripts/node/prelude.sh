# shellcheck shell=bash
# The prelude of every node script: components/remote.ts sends it, then the step's variables, then
# the script itself, whose line numbers stay its own (LAB_BODY_OFFSET counts the lines before it).
set -eEuo pipefail

# Names the node, the step and the failing line of the script (or of this prelude).
on_error() {
  local rc=$1 line=$(($2 - ${LAB_BODY_OFFSET:-0}))
  if [ "$line" -le 0 ]; then line="prelude line $2"; else line="${LAB_SCRIPT:-script} line $line"; fi
  echo "cluster-lab: step ${LAB_STEP:-?} failed on node ${LAB_NODE:-?} ($line, exit $rc)" >&2
}
trap 'on_error $? $LINENO' ERR

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every POLL_INTERVAL (2 s) until it succeeds;
# after SECONDS it fails, saying it gave up waiting for WHAT.
wait_until() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "gave up after ${timeout}s waiting for $what" >&2
      return 1
    fi
    sleep "${POLL_INTERVAL:-2}"
  done
}

# retry ATTEMPTS COMMAND...: runs COMMAND up to ATTEMPTS times, waiting RETRY_DELAY (5 s) longer
# after each failure.
retry() {
  local attempts=$1 attempt
  shift
  for ((attempt = 1; ; attempt++)); do
    "$@" && return 0
    if [ "$attempt" -ge "$attempts" ]; then
      echo "$* failed $attempt times" >&2
      return 1
    fi
    sleep $((attempt * ${RETRY_DELAY:-5}))
  done
}

# put FILE TEXT: writes FILE (TEXT and one newline) only when its content differs; succeeds when it wrote.
put() {
  local text
  text=$(printf '%s' "$2")
  if [ -f "$1" ] && [ "$(cat "$1")" = "$text" ]; then return 1; fi
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$text" >"$1"
  echo "wrote $1"
}

# pin_host NAME ADDRESS: the one line of HOSTS_FILE (/etc/hosts), outside the nodes' managed block, that
# says where NAME is; rewritten in place (/etc/hosts may be a bind mount).
pin_host() {
  local hosts=${HOSTS_FILE:-/etc/hosts} line="$2 $1 # cluster-lab pinned" others
  if grep -qxF "$line" "$hosts"; then return 0; fi
  others=$(grep -vE "[[:space:]]$1 # cluster-lab pinned\$" "$hosts" || true)
  {
    if [ -n "$others" ]; then printf '%s\n' "$others"; fi
    printf '%s\n' "$line"
  } >"$hosts"
  echo "$1 points at $2" >&2
}
