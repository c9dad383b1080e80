import * as pulumi from "@pulumi/pulumi";

export type Orchestrator = "swarm" | "kubernetes";
export type OsName = "debian-12" | "ubuntu-24.04";
export type Cni = "calico" | "flannel";

export interface LabConfig {
    /** The stack name: one stack is one lab. */
    labName: string;
    region: string;
    orchestrator: Orchestrator;
    managers: number;
    workers: number;
    instanceType: string;
    os: OsName;
    /** A CIDR, or "auto" until resolveAllowedCidr has looked up the caller's address. */
    allowedCidr: string;
    sshPublicKey?: string;
    nginxImage: string;
    nginxReplicas: number;
    publishedPort: number;
    globalPublishedPort: number;
    drainManagers: boolean;
    spot: boolean;
    /** 0 means the lab never expires. */
    ttlHours: number;
    /** An NLB in front of publishedPort (the NodePort under kubernetes) on the workers. */
    loadBalancer: boolean;
    /** Kubernetes only: a minor version such as 1.36; nodes install its latest patch. */
    kubernetesVersion: string;
    cni: Cni;
    podCidr: string;
}

/** The lab's own address space; pod CIDRs must stay clear of it. */
export const VPC_CIDR = "10.42.0.0/16";
export const SUBNET_CIDR = "10.42.1.0/24";

/** kubeadm's default service CIDR, which the lab keeps. */
export const SERVICE_CIDR = "10.96.0.0/12";

export const OS_CHOICES: readonly OsName[] = ["debian-12", "ubuntu-24.04"];
export const ORCHESTRATORS: readonly Orchestrator[] = ["swarm", "kubernetes"];
export const CNI_CHOICES: readonly Cni[] = ["calico", "flannel"];

/** The pod CIDR each CNI's manifest expects unless told otherwise. */
export const DEFAULT_POD_CIDR: Record<Cni, string> = { calico: "192.168.0.0/16", flannel: "10.244.0.0/16" };

/** Under kubernetes, lab:publishedPort is the nginx Service's NodePort: it must be in this range. */
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;
export const DEFAULT_NODE_PORT = 30080;

/** The oldest minor pkgs.k8s.io publishes. */
export const OLDEST_KUBERNETES_MINOR = 24;

/** Keys that only one orchestrator reads: setting one for the other is a mistake, not a no-op. */
const ONLY_FOR: Record<Orchestrator, readonly string[]> = {
    swarm: ["globalPublishedPort", "drainManagers"],
    kubernetes: ["kubernetesVersion", "cni", "podCidr"],
};

/** Ports the cluster itself uses: a published port here would collide with them. */
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

export const DEFAULTS = {
    orchestrator: "swarm",
    managers: 1,
    workers: 2,
    instanceType: "t3.small",
    os: "debian-12",
    allowedCidr: "auto",
    nginxImage: "nginx:1.27",
    nginxReplicas: 3,
    publishedPort: 8001,
    globalPublishedPort: 8002,
    drainManagers: false,
    spot: false,
    ttlHours: 8,
    loadBalancer: false,
    kubernetesVersion: "1.36",
    cni: "calico",
} as const;

/** Reads a raw config value by key (without the `lab:` namespace); undefined when unset. */
export type RawConfig = (key: string) => string | undefined;

export class LabConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid lab configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "LabConfigError";
    }
}

/**
 * Validates every key at once and throws one LabConfigError listing each bad value:
 * the key, the value and what is allowed. Nothing is created before this returns.
 */
export function parseLabConfig(raw: RawConfig, labName: string, region: string | undefined, sshAgentSocket?: string): LabConfig {
    const problems: string[] = [];
    const bad = (key: string, value: string, allowed: string) =>
        problems.push(`lab:${key} is ${JSON.stringify(value)}: ${allowed}`);

    const text = (key: keyof typeof DEFAULTS): string => raw(key)?.trim() ?? String(DEFAULTS[key]);

    const integer = (key: keyof typeof DEFAULTS, min: number, max: number, extra?: (n: number) => string | undefined) => {
        const value = text(key);
        const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < min || n > max) {
            bad(key, value, `must be a whole number from ${min} to ${max}`);
            return Number(DEFAULTS[key]);
        }
        const problem = extra?.(n);
        if (problem) bad(key, value, problem);
        return n;
    };

    const oneOf = <T extends string>(key: keyof typeof DEFAULTS, choices: readonly T[]): T => {
        const value = text(key);
        if (!(choices as readonly string[]).includes(value)) {
            bad(key, value, `must be one of ${choices.join(", ")}`);
            return DEFAULTS[key] as T;
        }
        return value as T;
    };

    const bool = (key: keyof typeof DEFAULTS): boolean => {
        const value = text(key);
        if (value !== "true" && value !== "false") {
            bad(key, value, "must be true or false");
            return Boolean(DEFAULTS[key]);
        }
        return value === "true";
    };

    const port = (key: "publishedPort" | "globalPublishedPort") =>
        integer(key, 1, 65535, (n) => {
            const clash = RESERVED_PORTS.find((r) => n >= r.from && n <= r.to);
            return clash && `is reserved for ${clash.use} (${clash.from === clash.to ? clash.from : `${clash.from}-${clash.to}`}); choose another port`;
        });

    const nodePort = () => {
        const value = raw("publishedPort")?.trim() ?? String(DEFAULT_NODE_PORT);
        const n = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!(n >= NODE_PORT_RANGE.from && n <= NODE_PORT_RANGE.to)) {
            bad("publishedPort", value, `is the nginx Service's NodePort with lab:orchestrator kubernetes, so it must be a whole number ` +
                `from ${NODE_PORT_RANGE.from} to ${NODE_PORT_RANGE.to} (default ${DEFAULT_NODE_PORT})`);
            return DEFAULT_NODE_PORT;
        }
        return n;
    };

    const orchestrator = oneOf("orchestrator", ORCHESTRATORS);
    const kubernetes = orchestrator === "kubernetes";
    for (const [owner, keys] of Object.entries(ONLY_FOR)) {
        for (const key of owner === orchestrator ? [] : keys) {
            const value = raw(key)?.trim();
            if (value !== undefined) {
                bad(key, value, `applies to lab:orchestrator ${owner} only, and this lab is ${orchestrator}; remove it (pulumi config rm lab:${key})`);
            }
        }
    }
    const managers = integer("managers", 1, 7, (n) => {
        if (kubernetes) {
            return n === 1 || n === 3 ? undefined
                : "must be 1 or 3 with lab:orchestrator kubernetes (one control plane, or three with stacked etcd for high availability)";
        }
        return n % 2 === 0 ? "must be odd (1, 3, 5 or 7) so that Raft keeps a quorum" : undefined;
    });
    const workers = integer("workers", 0, 50);

    const instanceType = text("instanceType");
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(instanceType)) {
        bad("instanceType", instanceType, "must be an EC2 instance type such as t3.small or m6i.large");
    } else if (kubernetes) {
        const problem = kubeadmSizeProblem(instanceType);
        if (problem) bad("instanceType", instanceType, problem);
    }
    const os = oneOf("os", OS_CHOICES);

    const allowedCidr = text("allowedCidr");
    if (allowedCidr !== "auto" && !isIpv4Cidr(allowedCidr)) {
        bad("allowedCidr", allowedCidr, 'must be an IPv4 CIDR such as 203.0.113.7/32, or "auto" for your public address');
    }

    const sshPublicKey = raw("sshPublicKey")?.trim() || undefined;
    if (sshPublicKey !== undefined && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( .*)?$/.test(sshPublicKey)) {
        bad("sshPublicKey", sshPublicKey, "must be one OpenSSH public key line (ssh-ed25519 AAAA..., ssh-rsa AAAA...)");
    } else if (sshPublicKey !== undefined && !sshAgentSocket) {
        bad("sshPublicKey", sshPublicKey.slice(0, 24) + "...", "is set, so the lab reaches its nodes with your key through ssh-agent, " +
            "but SSH_AUTH_SOCK is not set: start ssh-agent and ssh-add the matching private key");
    }

    const nginxImage = text("nginxImage");
    if (!/^[a-z0-9]([a-z0-9._\-/:]*[a-z0-9])?(@sha256:[a-f0-9]{64})?$/.test(nginxImage) || nginxImage.includes("//")) {
        bad("nginxImage", nginxImage, "must be an image reference such as nginx:1.27 or registry.example.com/team/nginx:1.27");
    }
    const nginxReplicas = integer("nginxReplicas", 1, 100);
    const publishedPort = kubernetes ? nodePort() : port("publishedPort");
    const globalPublishedPort = kubernetes ? DEFAULTS.globalPublishedPort : port("globalPublishedPort");
    if (!kubernetes && publishedPort === globalPublishedPort) {
        bad("globalPublishedPort", String(globalPublishedPort), `must differ from lab:publishedPort (${publishedPort})`);
    }
    const drainManagers = kubernetes ? false : bool("drainManagers");
    if (drainManagers && workers === 0) {
        bad("drainManagers", "true", "needs at least one worker (lab:workers is 0), or nothing could run the services");
    }
    const spot = bool("spot");
    const ttlHours = integer("ttlHours", 0, 720);
    const loadBalancer = bool("loadBalancer");

    let kubernetesVersion: string = DEFAULTS.kubernetesVersion;
    let cni: Cni = DEFAULTS.cni;
    let podCidr = DEFAULT_POD_CIDR[cni];
    if (kubernetes) {
        kubernetesVersion = text("kubernetesVersion");
        const minor = /^1\.(\d+)$/.exec(kubernetesVersion);
        if (!minor) {
            bad("kubernetesVersion", kubernetesVersion, "must be a Kubernetes minor version such as 1.36 (nodes install its latest patch release)");
        } else if (Number(minor[1]) < OLDEST_KUBERNETES_MINOR) {
            bad("kubernetesVersion", kubernetesVersion, `must be 1.${OLDEST_KUBERNETES_MINOR} or later: pkgs.k8s.io publishes no older packages`);
        }
        cni = oneOf("cni", CNI_CHOICES);
        podCidr = raw("podCidr")?.trim() ?? DEFAULT_POD_CIDR[cni];
        const problem = podCidrProblem(podCidr, managers + workers);
        if (problem) bad("podCidr", podCidr, problem);
    }

    if (!region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
        problems.push(`aws:region is ${JSON.stringify(region ?? "")}: must be an AWS region such as ap-northeast-2 (pulumi config set aws:region ap-northeast-2)`);
    }
    if (problems.length > 0) throw new LabConfigError(problems);

    return {
        labName, region: region!, orchestrator, managers, workers, instanceType, os, allowedCidr, sshPublicKey,
        nginxImage, nginxReplicas, publishedPort, globalPublishedPort, drainManagers, spot, ttlHours,
        loadBalancer, kubernetesVersion, cni, podCidr,
    };
}

export function isIpv4Cidr(value: string): boolean {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    if (!m) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return false;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const hostBits = 2 ** (32 - prefix);
    return address % hostBits === 0; // no host bits set: 10.0.0.1/24 is a typo, not a network
}

function ipv4Range(cidr: string): { start: number; size: number } {
    const [address, prefix] = cidr.split("/");
    const start = address.split(".").map(Number).reduce((acc, o) => acc * 256 + o, 0);
    return { start, size: 2 ** (32 - Number(prefix)) };
}

export function cidrsOverlap(a: string, b: string): boolean {
    const x = ipv4Range(a);
    const y = ipv4Range(b);
    return x.start < y.start + y.size && y.start < x.start + x.size;
}

/** Why a pod CIDR cannot work here, or undefined. */
export function podCidrProblem(cidr: string, nodes: number): string | undefined {
    if (!isIpv4Cidr(cidr)) return "must be an IPv4 network CIDR such as 10.244.0.0/16";
    for (const [range, what] of [[VPC_CIDR, "the lab's VPC"], [SERVICE_CIDR, "the Kubernetes service CIDR"]]) {
        if (cidrsOverlap(cidr, range)) return `overlaps ${what} (${range}); choose a range clear of it, such as ${DEFAULT_POD_CIDR.flannel} or ${DEFAULT_POD_CIDR.calico}`;
    }
    const prefix = Number(cidr.split("/")[1]);
    // kube-controller-manager gives every node a /24 out of the pod CIDR.
    const needed = 24 - Math.ceil(Math.log2(Math.max(nodes, 1)));
    if (prefix > needed) return `is too small: every node gets a /24 from it, so ${nodes} nodes need a /${needed} or larger`;
    return undefined;
}

/** vCPU and GiB of the burstable sizes; other families are judged by their size name. */
const BURSTABLE_SIZES: Record<string, Record<string, [number, number]>> = {
    t2: { nano: [1, 0.5], micro: [1, 1], small: [1, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], "2xlarge": [8, 32] },
    t3: { nano: [2, 0.5], micro: [2, 1], small: [2, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], "2xlarge": [8, 32] },
};
BURSTABLE_SIZES.t3a = BURSTABLE_SIZES.t3;
BURSTABLE_SIZES.t4g = BURSTABLE_SIZES.t3;

/** kubeadm's preflight refuses fewer than 2 vCPU or less than about 2 GiB (1700 MB) on a control plane. */
export function kubeadmSizeProblem(instanceType: string): string | undefined {
    const [family, size] = instanceType.split(".");
    const minimum = "kubeadm's preflight needs at least 2 vCPU and 2 GiB";
    const known = BURSTABLE_SIZES[family];
    if (known) {
        const spec = known[size];
        if (!spec) return `is not a ${family} size this lab knows (${Object.keys(known).join(", ")}), so it cannot check that ${minimum}`;
        const [cpus, gib] = spec;
        if (cpus >= 2 && gib >= 2) return undefined;
        const smallest = Object.entries(known).find(([, [c, g]]) => c >= 2 && g >= 2)![0];
        return `has ${cpus} vCPU and ${gib} GiB, but ${minimum}: choose ${family}.${smallest} or larger`;
    }
    if (/^(large|\d*xlarge|metal(-\d+xl)?)$/.test(size)) return undefined; // 2+ vCPU and 3.75+ GiB in every family
    if (/^(nano|micro|small|medium)$/.test(size)) {
        return `is a ${size} size, which outside the t2/t3/t3a/t4g families has a single vCPU, but ${minimum}: choose a .large size or bigger`;
    }
    return `has a size this lab cannot judge (${size}), so it cannot check that ${minimum}; choose a known size such as t3.medium or m6i.large`;
}

export type AddressLookup = () => Promise<string>;

/** Asks an AWS endpoint which public address this machine comes from. */
export const lookupPublicAddress: AddressLookup = async () => {
    const response = await fetch("https://checkip.amazonaws.com", { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.text()).trim();
};

/** Replaces allowedCidr "auto" by the caller's public address as a /32, or fails naming the key. */
export async function resolveAllowedCidr(config: LabConfig, lookup: AddressLookup = lookupPublicAddress): Promise<LabConfig> {
    if (config.allowedCidr !== "auto") return config;
    let address: string;
    try {
        address = await lookup();
    } catch (err) {
        throw new LabConfigError([
            `lab:allowedCidr is "auto" but your public address could not be looked up (${(err as Error).message}); ` +
            "set it yourself: pulumi config set lab:allowedCidr <your address>/32",
        ]);
    }
    const cidr = `${address}/32`;
    if (!isIpv4Cidr(cidr)) {
        throw new LabConfigError([
            `lab:allowedCidr is "auto" but the address lookup answered ${JSON.stringify(address)}, not an IPv4 address; ` +
            "set it yourself: pulumi config set lab:allowedCidr <your address>/32",
        ]);
    }
    return { ...config, allowedCidr: cidr };
}

/** The stack's `lab:` config, validated, with "auto" resolved. */
export async function loadLabConfig(lookup?: AddressLookup): Promise<LabConfig> {
    const lab = new pulumi.Config("lab");
    const region = new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION;
    const config = parseLabConfig((key) => lab.get(key), pulumi.getStack(), region, process.env.SSH_AUTH_SOCK);
    return resolveAllowedCidr(config, lookup);
}
