#!/usr/bin/env bash
# cluster-lab's load balancer for `type: LoadBalancer` Services: a systemd service on every control
# plane (k8s-service-lb.sh installs it) that gives each such Service the nodes' addresses in its
# status: public addresses first (what `kubectl get svc` shows, what the learner curls), then the
# private ones, where AWS delivers that traffic and where kube-proxy then answers on every node.
# Services of another loadBalancerClass are left alone, and so are Services that would take a port
# the nodes' addresses serve (kube-proxy would take it from the cluster: the API, etcd, the CNI's
# VXLAN, NodePorts, ...). Nothing exists outside the cluster, so nothing is left behind.
set -euo pipefail
: "${ADDRESSES_FILE:=/etc/cluster-lab/node-addresses}" # one "<name> <public ip> <private ip>" per node
: "${INTERVAL:=5}"
: "${ONCE:=false}" # one pass, then exit (tests)
: "${CLUSTER_PORTS:?"<port>[-<last>]/<protocol>" for each port the nodes serve (components/kubernetes/ports.ts)}"

IPV4='^[0-9]{1,3}(\.[0-9]{1,3}){3}$'

# The ingress addresses every LoadBalancer Service gets, comma-separated.
wanted_addresses() {
  local public=() private=() name pub priv
  while read -r name pub priv; do
    if [ -n "$name" ] && [[ $pub =~ $IPV4 ]] && [[ $priv =~ $IPV4 ]]; then
      public+=("$pub")
      private+=("$priv")
    fi
  done <"$ADDRESSES_FILE"
  local all=("${public[@]}" "${private[@]}")
  local IFS=,
  echo "${all[*]}"
}

status_patch() {
  local ip entries=()
  local -a ips
  IFS=, read -r -a ips <<<"$1"
  for ip in "${ips[@]}"; do entries+=("{\"ip\":\"$ip\"}"); done
  local IFS=,
  echo "{\"status\":{\"loadBalancer\":{\"ingress\":[${entries[*]}]}}}"
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

reconcile() {
  local wanted namespace name class ports current port
  wanted=$(wanted_addresses)
  if [ -z "$wanted" ]; then
    echo "no node addresses in $ADDRESSES_FILE" >&2
    return 1
  fi
  kubectl get services --all-namespaces -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace}{"|"}{.metadata.name}{"|"}{.spec.loadBalancerClass}{"|"}{range .spec.ports[*]}{.port}{"/"}{.protocol}{" "}{end}{"|"}{.status.loadBalancer.ingress[*].ip}{"\n"}{end}' |
    while IFS='|' read -r namespace name class ports current; do
      if [ -n "$class" ]; then continue; fi
      for port in $ports; do
        if cluster_port "$port"; then break; fi
        port=""
      done
      if [ -n "$port" ]; then
        echo "$namespace/$name: port $port is one the nodes' addresses serve: no address given" >&2
        continue
      fi
      if [ "${current// /,}" = "$wanted" ]; then continue; fi
      kubectl -n "$namespace" patch service "$name" --subresource=status --type=merge -p "$(status_patch "$wanted")" >/dev/null
      echo "$namespace/$name: load balancer addresses $wanted"
    done
}

while :; do
  reconcile || echo "pass failed; trying again in ${INTERVAL}s" >&2
  if [ "$ONCE" = true ]; then break; fi
  sleep "$INTERVAL"
done
