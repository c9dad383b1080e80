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

/** SSH, the API, every NodePort and the LoadBalancer ports from allowedCidr; the cluster's and the CNI's ports between nodes. */
export function kubernetesPorts(config: KubernetesConfig): PortRule[] {
    return [
        SSH,
        { description: "Kubernetes API", protocol: "tcp", fromPort: API_PORT, toPort: API_PORT, source: "operator" },
        { description: "NodePorts", protocol: "tcp", fromPort: NODE_PORT_RANGE.from, toPort: NODE_PORT_RANGE.to, source: "operator" },
        ...LOAD_BALANCER_PORTS.map(({ from, to }): PortRule => ({
            description: "LoadBalancer Services",
            protocol: "tcp",
            fromPort: from,
            toPort: to,
            source: "operator",
        })),
        ...KUBERNETES_PORTS,
        ...(config.managers > 1 ? [API_LOAD_BALANCER_PORT] : []),
        ...CNIS[config.cni].ports,
        NODE_PING,
    ];
}
