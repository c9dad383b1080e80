#!/usr/bin/env bash
# scripts/operator/lab.sh status: the lab at a glance, from its outputs (no secret is read): nodes
# and roles, URLs, expiry, and its cost per hour from scripts/operator/prices.tsv.
#   scripts/operator/lab-status.sh <stack>
set -euo pipefail
: "${NOW:=$(date -u +%s)}"
stack=${1:?usage: lab-status.sh <stack>}
prices=$(dirname "$0")/prices.tsv

out=$(pulumi stack output --stack "$stack" --json 2>/dev/null) || {
  echo "lab $stack has no outputs: run scripts/operator/lab.sh up first" >&2
  exit 1
}
region=$(jq -r '.lab.region // "?"' <<<"$out")
spot=$(jq -r '.lab.spot // false' <<<"$out")
echo "lab $stack: $(jq -r '.lab.orchestrator // "?"' <<<"$out") in $region$([ "$spot" = true ] && echo ", spot instances")"
echo
jq -r '["NODE", "ROLE", "TYPE", "PUBLIC IP", "PRIVATE IP"], (.nodes[] | [.name, .role, .instanceType, .publicIp, .privateIp]) | @tsv' <<<"$out" |
  column -t -s $'\t'
echo
jq -r '(.nginxUrls // [] | map("nginx       " + .)[]), (.visualizerUrl // empty | "visualizer  " + .),
       (.loadBalancerUrl // empty | "balancer    " + .)' <<<"$out"
if jq -e 'has("nextSteps")' <<<"$out" >/dev/null; then echo "unformed (lab:form nodes): pulumi stack output nextSteps --stack $stack"; fi

expires=$(jq -r '.expiresAt // "never"' <<<"$out")
if [ "$expires" = never ]; then
  echo "expires     never: destroy it when you are done"
elif at=$(date -u -d "$expires" +%s 2>/dev/null); then
  left=$((at - NOW))
  if [ "$left" -le 0 ]; then
    echo "expires     $expires: expired, its nodes powered off; destroy what is left: scripts/operator/lab.sh destroy"
  else
    printf 'expires     %s (in %dh %02dmin)\n' "$expires" $((left / 3600)) $((left % 3600 / 60))
  fi
fi

# Cost: each node's instance (on-demand, or the spot range) plus its public address and disk.
jq -r '.nodes[].instanceType' <<<"$out" | awk -F '\t' -v region="$region" -v spot="$spot" '
  FNR == NR { if ($0 !~ /^#/ && NF >= 5) { low[$1 "/" $2] = (spot == "true" ? $4 : $3); high[$1 "/" $2] = (spot == "true" ? $5 : $3) } next }
  {
    key = region "/" $1
    if (!(key in low)) { missing[$1] = 1; next }
    lo += low[key] + low["*/public-ipv4"] + low["*/gp3-16GiB"]
    hi += high[key] + high["*/public-ipv4"] + high["*/gp3-16GiB"]
    n++
  }
  END {
    for (t in missing) { printf "cost        no price figure for %s in %s (scripts/operator/prices.tsv)\n", t, region; exit }
    if (lo == hi) printf "cost        about $%.3f per hour for %d nodes (scripts/operator/prices.tsv)\n", lo, n
    else printf "cost        about $%.3f-%.3f per hour for %d nodes, spot (scripts/operator/prices.tsv)\n", lo, hi, n
  }' "$prices" -
