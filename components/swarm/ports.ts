import { NODE_PING, PortRule, SSH } from "../ports";
import type { PortRange, SwarmConfig } from "./config";

/** Swarm's own ports, open only between lab nodes. */
export const SWARM_PORTS: readonly PortRule[] = [
    { description: "Swarm cluster management", protocol: "tcp", fromPort: 2377, toPort: 2377, source: "nodes" },
    { description: "Swarm node gossip (tcp)", protocol: "tcp", fromPort: 7946, toPort: 7946, source: "nodes" },
    { description: "Swarm node gossip (udp)", protocol: "udp", fromPort: 7946, toPort: 7946, source: "nodes" },
    { description: "Overlay network VXLAN", protocol: "udp", fromPort: 4789, toPort: 4789, source: "nodes" },
    { description: "Encrypted overlay (ESP)", protocol: "50", fromPort: 0, toPort: 0, source: "nodes" },
];

export const VISUALIZER_PORT = 7070;

/**
 * What the operator reaches from allowedCidr: SSH, the course ports (lab:openPorts, published by
 * the routing mesh on every node), and the lab's own published ports where the course range does
 * not already cover them; the cluster's own ports between nodes only.
 */
export function swarmPorts(config: SwarmConfig): PortRule[] {
    const covered = (port: number) => config.openPorts.some((r) => port >= r.from && port <= r.to);
    const own: [string, number][] = [
        ...(config.sampleApp && config.form === "cluster"
            ? ([
                  ["nginx (web)", config.publishedPort],
                  ["nginx (web-global)", config.globalPublishedPort],
              ] as [string, number][])
            : []),
        ...(config.visualizer ? ([["visualizer", VISUALIZER_PORT]] as [string, number][]) : []),
    ];
    const published = (description: string, range: PortRange): PortRule => ({
        description,
        protocol: "tcp",
        fromPort: range.from,
        toPort: range.to,
        source: "operator",
    });
    return [
        SSH,
        ...config.openPorts.map((range) => published("course ports", range)),
        ...own.filter(([, port]) => !covered(port)).map(([description, port]) => published(description, { from: port, to: port })),
        ...SWARM_PORTS,
        NODE_PING,
    ];
}
