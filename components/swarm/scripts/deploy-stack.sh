#!/usr/bin/env bash
# On the first manager: deploy the sample stack from its compose file and wait until every
# service has all its tasks running (a changed image rolls out as a rolling update).
set -euo pipefail
: "${STACK_NAME:?stack name}"
: "${STACK_COMPOSE:?compose file text}"
: "${EXPECTED_NODES:?number of nodes in the lab}"
: "${CONVERGE_TIMEOUT:?seconds}"
: "${LAB_DIR:=/opt/cluster-lab}"

fail() {
  echo "$1" >&2
  docker node ls >&2 || true
  docker stack ps "$STACK_NAME" --no-trunc --format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' 2>/dev/null | tail -n 20 >&2 || true
  exit 1
}

deadline=$((SECONDS + CONVERGE_TIMEOUT))
left() { echo $((deadline > SECONDS ? deadline - SECONDS : 0)); }

nodes_ready() { [ "$(docker node ls --format '{{.Status}}' | grep -c '^Ready$')" -ge "$EXPECTED_NODES" ]; }
wait_until "$(left)" "$EXPECTED_NODES nodes to be Ready" nodes_ready || fail "fewer than $EXPECTED_NODES nodes are Ready"

mkdir -p "$LAB_DIR"
compose="$LAB_DIR/$STACK_NAME.yml"
printf '%s\n' "$STACK_COMPOSE" >"$compose"
# Each node uses the image tag as given; no registry round trip to pin a digest.
docker stack deploy --prune --resolve-image never --compose-file "$compose" "$STACK_NAME"

# Two docker calls a poll, every 5 s: on a busy manager each call costs seconds of CPU, and the
# swarm converging needs that CPU more than this loop does.
converged() {
  local names=() name replicas state
  while read -r name replicas; do
    [ "${replicas%%/*}" = "${replicas#*/}" ] && [ "${replicas#*/}" != 0 ] || return 1
    names+=("$name")
  done < <(docker stack services "$STACK_NAME" --format '{{.Name}} {{.Replicas}}')
  [ "${#names[@]}" -gt 0 ] || return 1
  while read -r name state; do
    case "$state" in
      updating | rollback_started) return 1 ;;
      rollback_completed | rollback_paused | paused) fail "update of $name failed and was rolled back ($state)" ;;
    esac
  done < <(docker service inspect --format '{{.Spec.Name}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "${names[@]}")
}

POLL_INTERVAL=5 wait_until "$(left)" "stack $STACK_NAME to converge" converged || fail "stack $STACK_NAME did not converge within ${CONVERGE_TIMEOUT}s"
docker stack services "$STACK_NAME" --format '{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}} {{.Ports}}'
