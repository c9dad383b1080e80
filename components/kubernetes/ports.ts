import { NODE_PING, PortRule, SSH } from "../ports";
import { CNIS } from "./cni";
import type { KubernetesConfig } from "./config";

export const API_PORT = 6443;
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;

/**
 * Ports a `type: LoadBalancer` Service may use and reach from allowedCidr on every node's address
 * (the lab's node-address load balancer, service-lb-controller.sh): 80 for the course's nginx, and
 * the course range the Swarm lab opens too (7070, 8000-8099).
 */
export const LOAD_BALANCER_PORTS: readonly { from: number; to: number }[] = [
    { from: 80, to: 80 },
    { from: 7070, to: 7070 },
    { from: 8000, to: 8099 },
];

/**
 * kubeadm's control plane and kubelet ports, open only between lab nodes. The controller manager
 * (10257) and the scheduler (10259) bind to 127.0.0.1 under kubeadm: nothing to open.
 */
export const KUBERNETES_PORTS: readonly PortRule[] = [
    { description: "Kubernetes API (nodes)", protocol: "tcp", fromPort: API_PORT, toPort: API_PORT, source: "nodes" },
    { description: "etcd client and peer", protocol: "tcp", fromPort: 2379, toPort: 2380, source: "nodes" },
    { description: "kubelet API", protocol: "tcp", fromPort: 10250, toPort: 10250, source: "nodes" },
];

/**
 * The API load balancer of three control planes forwards from its own address in the lab subnet
 * (it does not keep client addresses, so that a control plane may reach itself through it), and
 * health-checks from there.
 */
export const API_LOAD_BALANCER_PORT: PortRule = {
    description: "Kubernetes API (load balancer)",
    protocol: "tcp",
    fromPort: API_PORT,
    toPort: API_PORT,
    source: "subnet",
};

const LOAD_BALANCER_RULES = LOAD_BALANCER_PORTS.map(({ from, to }): PortRule => ({
    description: "LoadBalancer Services",
    protocol: "tcp",
    fromPort: from,
    toPort: to,
    source: "operator",
}));

/** SSH, the API, every NodePort and the LoadBalancer ports from allowedCidr; the cluster's and the CNI's ports between nodes. */
export function kubernetesPorts(config: KubernetesConfig): PortRule[] {
    return [
        SSH,
        { description: "Kubernetes API", protocol: "tcp", fromPort: API_PORT, toPort: API_PORT, source: "operator" },
        { description: "NodePorts", protocol: "tcp", fromPort: NODE_PORT_RANGE.from, toPort: NODE_PORT_RANGE.to, source: "operator" },
        ...LOAD_BALANCER_RULES,
        ...KUBERNETES_PORTS,
        ...(config.managers > 1 ? [API_LOAD_BALANCER_PORT] : []),
        ...CNIS[config.cni].ports,
        NODE_PING,
    ];
}

/**
 * Ports kubeadm's components listen on that the security group does not open: kube-proxy's health
 * check, the controller manager and the scheduler (on 127.0.0.1 under kubeadm, but still on the node).
 */
const NODE_LOCAL_PORTS = ["10256/tcp", "10257/tcp", "10259/tcp"];

/**
 * "<port>[-<last>]/<protocol>" for every port the nodes' own addresses serve: kube-proxy would take
 * it over from the cluster for a `type: LoadBalancer` Service given those addresses
 * (service-lb-controller.sh refuses such a Service). The security group's rules, but the
 * LoadBalancer ports and protocols without ports; NodePorts for every protocol a Service may use,
 * since another Service's NodePort answers on the same addresses; and what the CNI may use besides.
 */
export function nodeAddressPorts(config: KubernetesConfig): string[] {
    const opened = kubernetesPorts(config)
        .filter((rule) => !LOAD_BALANCER_RULES.includes(rule) && (rule.protocol === "tcp" || rule.protocol === "udp"))
        .map((rule) => `${rule.fromPort === rule.toPort ? rule.fromPort : `${rule.fromPort}-${rule.toPort}`}/${rule.protocol}`);
    const nodePorts = ["udp", "sctp"].map((protocol) => `${NODE_PORT_RANGE.from}-${NODE_PORT_RANGE.to}/${protocol}`);
    return [...new Set([...opened, ...nodePorts, ...NODE_LOCAL_PORTS, ...CNIS[config.cni].otherPorts])];
}
