// Security group rules as data: each orchestrator lists its own; the network layer turns them into
// ingress rules.
import { SUBNET_CIDR } from "./config/common";

/**
 * One security group rule: from allowedCidr ("operator"), from the lab's own nodes ("nodes"), or
 * from the lab subnet ("subnet": the load balancer's health checks).
 */
export interface PortRule {
    description: string;
    /** "tcp", "udp", "icmp", or an IP protocol number such as "50" (ESP). */
    protocol: string;
    fromPort: number;
    toPort: number;
    source: "operator" | "nodes" | "subnet";
}

export const SSH: PortRule = { description: "SSH", protocol: "tcp", fromPort: 22, toPort: 22, source: "operator" };

/** Ping between nodes by name, as courses do (`ping swarm-worker1`). */
export const NODE_PING: PortRule = { description: "ping between nodes", protocol: "icmp", fromPort: -1, toPort: -1, source: "nodes" };

/**
 * The NLB keeps client addresses, so forwarded traffic arrives from allowedCidr (already open);
 * its health checks come from its own addresses in the lab subnet.
 */
export function loadBalancerHealthChecks(port: number): PortRule {
    return { description: "load balancer health checks", protocol: "tcp", fromPort: port, toPort: port, source: "subnet" };
}

/** The rule's sources as the security group names them. */
export function ruleSource(rule: PortRule, allowedCidrs: string[]): { cidrBlocks?: string[]; self?: boolean } {
    switch (rule.source) {
        case "operator":
            return { cidrBlocks: allowedCidrs };
        case "nodes":
            return { self: true };
        case "subnet":
            return { cidrBlocks: [SUBNET_CIDR] };
    }
}
