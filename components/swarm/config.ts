// The Swarm lab's own keys, and its rules on the common ones.
import type { CommonConfig } from "../config/common";
import { custom, flag, integer, Invalid, Problems, RawConfig, readKeys, Values } from "../config/keys";
import { fragment } from "../config/shown";

/** Ports the lab uses itself: a published port here would collide with them. */
export const RESERVED_PORTS: readonly { from: number; to: number; use: string }[] = [
    { from: 22, to: 22, use: "SSH" },
    { from: 2377, to: 2377, use: "Swarm management" },
    { from: 7946, to: 7946, use: "Swarm gossip" },
    { from: 4789, to: 4789, use: "overlay VXLAN" },
    { from: 6443, to: 6443, use: "Kubernetes API" },
    { from: 2379, to: 2380, use: "etcd" },
    { from: 10250, to: 10259, use: "kubelet and control plane" },
    { from: 30000, to: 32767, use: "Kubernetes NodePorts" },
];

function notReserved(port: number): string | undefined {
    const clash = RESERVED_PORTS.find((r) => port >= r.from && port <= r.to);
    return (
        clash && `is reserved for ${clash.use} (${clash.from === clash.to ? clash.from : `${clash.from}-${clash.to}`}); choose another port`
    );
}

const publishedPort = (defaultPort: number, meaning: string) =>
    integer({ default: defaultPort, min: 1, max: 65535, allowed: "1-65535, not a port the lab uses", meaning, rule: notReserved });

/** Ports and ranges a course's own services publish: "8001", "8000-8099", comma-separated. */
export interface PortRange {
    from: number;
    to: number;
}

/** The course range the lab opens by default: the seeds publish on 8000-8099 and the visualizer on 7070. */
export const COURSE_PORTS = "7070,8000-8099";

function parsePorts(text: string): PortRange[] | Invalid {
    const ranges: PortRange[] = [];
    for (const entry of text.split(",").map((e) => e.trim())) {
        const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(entry);
        const from = m ? Number(m[1]) : NaN;
        const to = m ? Number(m[2] ?? m[1]) : NaN;
        if (!(from >= 1 && to <= 65535 && from <= to)) {
            return new Invalid(
                `must be ports and ranges such as ${COURSE_PORTS} (1-65535), comma-separated: ${fragment(entry)} is not one`,
            );
        }
        for (const reserved of RESERVED_PORTS) {
            if (from <= reserved.to && reserved.from <= to) {
                return new Invalid(
                    `must leave the cluster's ports closed to the outside: ${fragment(entry)} covers ${reserved.use} ` +
                        `(${reserved.from === reserved.to ? reserved.from : `${reserved.from}-${reserved.to}`}; SSH is opened by the lab itself)`,
                );
            }
        }
        ranges.push({ from, to });
    }
    return ranges;
}

export const SWARM_KEYS = {
    publishedPort: publishedPort(8001, "`web` through the routing mesh, on every node"),
    globalPublishedPort: publishedPort(8002, "`web-global` (one task per node); differs from publishedPort"),
    drainManagers: flag({ default: false, meaning: "managers run no tasks (needs at least one worker)" }),
    openPorts: custom({
        default: parsePorts(COURSE_PORTS) as PortRange[],
        shownDefault: COURSE_PORTS,
        allowed: "ports and ranges, comma-separated, no cluster port",
        meaning: "what the course's own services may publish, open to allowedCidr through the routing mesh",
        parse: parsePorts,
    }),
    visualizer: flag({ default: false, meaning: "the course's swarm visualizer on a manager, on port 7070 (`visualizerUrl`)" }),
};

export type SwarmConfig = CommonConfig & { orchestrator: "swarm" } & Values<typeof SWARM_KEYS>;

export function readSwarmConfig(common: CommonConfig, raw: RawConfig, problems: Problems): SwarmConfig {
    const values = readKeys(SWARM_KEYS, raw, problems);
    if (common.managers % 2 === 0)
        problems.bad("managers", String(common.managers), "must be odd (1, 3, 5 or 7) so that Raft keeps a quorum");
    // A rule between keys speaks only when both values are the user's, not a refused value's default,
    // and blames the key the user set.
    if (!problems.has("publishedPort") && !problems.has("globalPublishedPort") && values.publishedPort === values.globalPublishedPort) {
        const [blamed, other] =
            raw("globalPublishedPort") !== undefined
                ? (["globalPublishedPort", "publishedPort"] as const)
                : (["publishedPort", "globalPublishedPort"] as const);
        problems.bad(blamed, String(values[blamed]), `must differ from lab:${other} (${values[other]})`);
    }
    // Prepared nodes form no swarm: nothing could run the sample app or the visualizer.
    for (const key of ["sampleApp", "visualizer"] as const) {
        if (common.form === "nodes" && raw(key)?.trim() === "true") {
            problems.bad(key, "true", "needs a swarm, and lab:form is nodes (prepared nodes, no swarm): remove one of the two");
        }
    }
    if (values.drainManagers && common.workers === 0) {
        problems.bad("drainManagers", "true", "needs at least one worker (lab:workers is 0), or nothing could run the services");
    }
    return { ...common, orchestrator: "swarm", ...values };
}
