#!/usr/bin/env bash
# cluster-lab's load balancer for `type: LoadBalancer` Services: a systemd service on every control
# plane (k8s-service-lb.sh installs it) that gives each such Service the nodes' addresses in its
# status: public addresses first (what `kubectl get svc` shows, what the learner curls), then the
# private ones, where AWS delivers that traffic and where kube-proxy then answers on every node.
# With externalTrafficPolicy Local, only the nodes with a ready endpoint of it: kube-proxy drops
# that traffic on the others. Services of another loadBalancerClass are left alone. A Service gets
# no address when it has a port the nodes' addresses serve (kube-proxy would take it from the
# cluster: the API, etcd, the CNI's VXLAN, NodePorts, ...) or a port and protocol an older Service
# has (both would get the same addresses, and only one answers). Nothing exists outside the
# cluster, so nothing is left behind.
set -euo pipefail
: "${ADDRESSES_FILE:=/etc/cluster-lab/node-addresses}" # one "<name> <public ip> <private ip>" per node
: "${INTERVAL:=5}"
: "${ONCE:=false}" # one pass, then exit (tests)
: "${CLUSTER_PORTS:?"<port>[-<last>]/<protocol>" for each port the nodes serve (components/kubernetes/ports.ts)}"

IPV4='^[0-9]{1,3}(\.[0-9]{1,3}){3}$'
SERVICES='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.creationTimestamp}{"|"}{.metadata.namespace}{"|"}{.metadata.name}{"|"}{.spec.loadBalancerClass}{"|"}{.spec.externalTrafficPolicy}{"|"}{range .spec.ports[*]}{.port}{"/"}{.protocol}{" "}{end}{"|"}{.status.loadBalancer.ingress[*].ip}{"\n"}{end}'
# Endpoints without a ready condition count as ready, as kube-proxy counts them.
ENDPOINTS='{range .items[*].endpoints[*]}{.nodeName}{" "}{.conditions.ready}{"\n"}{end}'

nodes=()
declare -A public=() private=() said=()

read_nodes() {
  local name pub priv
  nodes=() public=() private=()
  while read -r name pub priv; do
    if [ -n "$name" ] && [[ $pub =~ $IPV4 ]] && [[ $priv =~ $IPV4 ]]; then
      nodes+=("$name") public[$name]=$pub private[$name]=$priv
    fi
  done <"$ADDRESSES_FILE"
  [ "${#nodes[@]}" -gt 0 ]
}

# addresses NODE...: their public addresses, then their private ones, comma-separated.
addresses() {
  local node all=()
  for node; do all+=("${public[$node]}"); done
  for node; do all+=("${private[$node]}"); done
  local IFS=,
  echo "${all[*]}"
}

# local_addresses NAMESPACE NAME: the addresses of the nodes with a ready endpoint of the Service.
local_addresses() {
  local ready node with=()
  ready=$(kubectl -n "$1" get endpointslices -l "kubernetes.io/service-name=$2" -o jsonpath="$ENDPOINTS") || return 1
  for node in "${nodes[@]}"; do
    if awk -v node="$node" '$1 == node && $2 != "false" { found = 1 } END { exit !found }' <<<"$ready"; then with+=("$node"); fi
  done
  if [ "${#with[@]}" -gt 0 ]; then addresses "${with[@]}"; fi
}

status_patch() {
  local ip entries=()
  local -a ips
  IFS=, read -r -a ips <<<"$1"
  for ip in "${ips[@]}"; do entries+=("{\"ip\":\"$ip\"}"); done
  local IFS=,
  if [ "${#entries[@]}" -eq 0 ]; then
    echo '{"status":{"loadBalancer":{"ingress":null}}}'
  else
    echo "{\"status\":{\"loadBalancer\":{\"ingress\":[${entries[*]}]}}}"
  fi
}

# cluster_port PORT/PROTOCOL: one of CLUSTER_PORTS (lower-case protocols; Services say TCP, UDP).
cluster_port() {
  local port=${1%/*} protocol=${1#*/} entry range
  for entry in $CLUSTER_PORTS; do
    range=${entry%/*}
    if [ "${entry#*/}" = "${protocol,,}" ] && [ "$port" -ge "${range%-*}" ] && [ "$port" -le "${range#*-}" ]; then return 0; fi
  done
  return 1
}

# say SERVICE MESSAGE: to the journal, once until what there is to say about SERVICE changes.
say() {
  if [ -n "$2" ] && [ "${said[$1]:-}" != "$2" ]; then echo "$2" >&2; fi
  said[$1]=$2
}

# The oldest Service (then by name) keeps a port and protocol; a Service with any port taken or
# served by the nodes gets no address, and takes none.
reconcile() {
  local services _stamp namespace name class policy ports current key port why wanted
  local -A owner=()
  read_nodes || {
    echo "no node addresses in $ADDRESSES_FILE" >&2
    return 1
  }
  services=$(kubectl get services --all-namespaces -o jsonpath="$SERVICES") || return 1
  while IFS='|' read -r _stamp namespace name class policy ports current; do
    if [ -z "$name" ] || [ -n "$class" ]; then continue; fi
    key=$namespace/$name why=""
    for port in $ports; do
      if cluster_port "$port"; then
        why="port $port is one the nodes' addresses serve"
      elif [ -n "${owner[$port]:-}" ]; then
        why="port $port is taken by ${owner[$port]}"
      else
        continue
      fi
      break
    done
    if [ -n "$why" ]; then
      wanted="" why="$key: $why: no address given"
    else
      for port in $ports; do owner[$port]=$key; done
      if [ "$policy" != Local ]; then
        wanted=$(addresses "${nodes[@]}")
      else
        wanted=$(local_addresses "$namespace" "$name") || return 1
        if [ -z "$wanted" ]; then why="$key: no node has a ready endpoint (externalTrafficPolicy Local): no address given"; fi
      fi
    fi
    say "$key" "$why"
    if [ "${current// /,}" = "$wanted" ]; then continue; fi
    kubectl -n "$namespace" patch service "$name" --subresource=status --type=merge -p "$(status_patch "$wanted")" >/dev/null
    if [ -n "$wanted" ]; then echo "$key: load balancer addresses $wanted"; else echo "$key: load balancer addresses removed"; fi
  done < <(sort -t'|' -k1,1 -k2,2 -k3,3 <<<"$services")
}

while :; do
  reconcile || echo "pass failed; trying again in ${INTERVAL}s" >&2
  if [ "$ONCE" = true ]; then break; fi
  sleep "$INTERVAL"
done
