#!/usr/bin/env bash
# From the operator's machine: fetch every nginx URL of the lab, print a table, and exit non-zero
# naming the nodes that did not answer.
#   scripts/smoke.sh                 # reads `pulumi stack output --json` of the current stack
#   scripts/smoke.sh NAME=URL ...    # or explicit pairs (a bare URL is named by its host)
set -euo pipefail
: "${SMOKE_TIMEOUT:=5}"  # seconds per request
: "${SMOKE_ATTEMPTS:=3}" # tries per URL before it counts as failed

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  # nginxUrls lists one URL per node, in the order of nodes.
  mapfile -t targets < <(pulumi stack output --json |
    jq -r '[.nodes, .nginxUrls] | transpose[] | "\(.[0].name)=\(.[1])"')
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "smoke: no URLs to check" >&2
  exit 2
fi

failed=()
printf '%-20s %-34s %s\n' NODE URL RESULT
for target in "${targets[@]}"; do
  if [[ "$target" == *=* ]]; then
    name=${target%%=*} url=${target#*=}
  else
    url=$target name=${target#*://} name=${name%%[:/]*}
  fi
  result=failed
  for _ in $(seq 1 "$SMOKE_ATTEMPTS"); do
    if code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$SMOKE_TIMEOUT" "$url") && [ "$code" = 200 ]; then
      result="ok (HTTP 200)"
      break
    fi
    result="failed (HTTP ${code:-none})"
    sleep 1
  done
  printf '%-20s %-34s %s\n' "$name" "$url" "$result"
  [[ "$result" == ok* ]] || failed+=("$name")
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "smoke: no answer from ${failed[*]}" >&2
  exit 1
fi
echo "smoke: all ${#targets[@]} URLs answered"
