import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Cni, LabConfig, NODE_PORT_RANGE, SUBNET_CIDR, VPC_CIDR } from "./config";
import { Tags } from "./tags";

/**
 * One security group rule: from allowedCidr ("operator"), from the lab's own nodes ("nodes"), or
 * from the lab subnet ("subnet": the load balancer's health checks).
 */
export interface PortRule {
    description: string;
    /** "tcp", "udp", or an IP protocol number such as "50" (ESP). */
    protocol: string;
    fromPort: number;
    toPort: number;
    source: "operator" | "nodes" | "subnet";
}

/** Swarm's own ports, open only between lab nodes. */
export const SWARM_PORTS: readonly PortRule[] = [
    { description: "Swarm cluster management", protocol: "tcp", fromPort: 2377, toPort: 2377, source: "nodes" },
    { description: "Swarm node gossip (tcp)", protocol: "tcp", fromPort: 7946, toPort: 7946, source: "nodes" },
    { description: "Swarm node gossip (udp)", protocol: "udp", fromPort: 7946, toPort: 7946, source: "nodes" },
    { description: "Overlay network VXLAN", protocol: "udp", fromPort: 4789, toPort: 4789, source: "nodes" },
    { description: "Encrypted overlay (ESP)", protocol: "50", fromPort: 0, toPort: 0, source: "nodes" },
];

/** kubeadm's control plane and kubelet ports, open only between lab nodes. */
export const KUBERNETES_PORTS: readonly PortRule[] = [
    { description: "Kubernetes API (nodes)", protocol: "tcp", fromPort: 6443, toPort: 6443, source: "nodes" },
    { description: "etcd client and peer", protocol: "tcp", fromPort: 2379, toPort: 2380, source: "nodes" },
    { description: "kubelet API", protocol: "tcp", fromPort: 10250, toPort: 10250, source: "nodes" },
    { description: "kube-controller-manager", protocol: "tcp", fromPort: 10257, toPort: 10257, source: "nodes" },
    { description: "kube-scheduler", protocol: "tcp", fromPort: 10259, toPort: 10259, source: "nodes" },
];

/**
 * What each CNI needs between nodes. Calico runs as its stock manifest ships: BGP between nodes and
 * IP-in-IP encapsulation (IP protocol 4); EC2's source/destination check would drop the routed pod
 * traffic, so it is off for Calico. Flannel encapsulates in VXLAN and needs no exception.
 */
export const CNI_NETWORKING: Record<Cni, { ports: readonly PortRule[]; sourceDestCheck: boolean }> = {
    calico: {
        ports: [
            { description: "Calico BGP", protocol: "tcp", fromPort: 179, toPort: 179, source: "nodes" },
            { description: "Calico IP-in-IP", protocol: "4", fromPort: 0, toPort: 0, source: "nodes" },
        ],
        sourceDestCheck: false,
    },
    flannel: {
        ports: [{ description: "Flannel VXLAN", protocol: "udp", fromPort: 8472, toPort: 8472, source: "nodes" }],
        sourceDestCheck: true,
    },
};

/** What the operator reaches from allowedCidr under kubernetes: SSH, the API and every NodePort. */
export function kubernetesOperatorPorts(): PortRule[] {
    return [
        { description: "SSH", protocol: "tcp", fromPort: 22, toPort: 22, source: "operator" },
        { description: "Kubernetes API", protocol: "tcp", fromPort: 6443, toPort: 6443, source: "operator" },
        { description: "NodePorts", protocol: "tcp", fromPort: NODE_PORT_RANGE.from, toPort: NODE_PORT_RANGE.to, source: "operator" },
    ];
}

/**
 * The NLB keeps client addresses, so forwarded traffic arrives from allowedCidr (already open);
 * its health checks come from its own addresses in the lab subnet.
 */
export function loadBalancerPorts(config: LabConfig): PortRule[] {
    if (!config.loadBalancer) return [];
    const port = config.publishedPort;
    return [{ description: "load balancer health checks", protocol: "tcp", fromPort: port, toPort: port, source: "subnet" }];
}

/** What the operator reaches from allowedCidr: SSH and the published sample ports. */
export function operatorPorts(config: LabConfig): PortRule[] {
    return [
        { description: "SSH", protocol: "tcp", fromPort: 22, toPort: 22, source: "operator" },
        { description: "nginx (web)", protocol: "tcp", fromPort: config.publishedPort, toPort: config.publishedPort, source: "operator" },
        { description: "nginx (web-global)", protocol: "tcp", fromPort: config.globalPublishedPort, toPort: config.globalPublishedPort, source: "operator" },
    ];
}

export function portRules(config: LabConfig): PortRule[] {
    const cluster = config.orchestrator === "kubernetes"
        ? [...kubernetesOperatorPorts(), ...KUBERNETES_PORTS, ...CNI_NETWORKING[config.cni].ports]
        : [...operatorPorts(config), ...SWARM_PORTS];
    return [...cluster, ...loadBalancerPorts(config)];
}

const RULE_SOURCES: Record<PortRule["source"], (config: LabConfig) => { cidrBlocks?: string[]; self?: boolean }> = {
    operator: (config) => ({ cidrBlocks: [config.allowedCidr] }),
    nodes: () => ({ self: true }),
    subnet: () => ({ cidrBlocks: [SUBNET_CIDR] }),
};

export interface LabNetworkArgs {
    config: LabConfig;
    tags: Tags;
}

/** VPC, one public subnet, internet gateway, routes, and the nodes' security group. */
export class LabNetwork extends pulumi.ComponentResource {
    readonly vpc: aws.ec2.Vpc;
    readonly subnet: aws.ec2.Subnet;
    readonly securityGroup: aws.ec2.SecurityGroup;

    constructor(name: string, args: LabNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:network:LabNetwork", name, {}, opts);
        const { config, tags } = args;

        this.vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: VPC_CIDR,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { ...tags, Name: `${config.labName}-vpc` },
        }, { parent: this });

        const gateway = new aws.ec2.InternetGateway(`${name}-igw`, {
            vpcId: this.vpc.id,
            tags: { ...tags, Name: `${config.labName}-igw` },
        }, { parent: this });

        this.subnet = new aws.ec2.Subnet(`${name}-public`, {
            vpcId: this.vpc.id,
            cidrBlock: SUBNET_CIDR,
            mapPublicIpOnLaunch: true,
            tags: { ...tags, Name: `${config.labName}-public` },
        }, { parent: this });

        const routes = new aws.ec2.RouteTable(`${name}-routes`, {
            vpcId: this.vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
            tags: { ...tags, Name: `${config.labName}-routes` },
        }, { parent: this });

        new aws.ec2.RouteTableAssociation(`${name}-public-routes`, {
            subnetId: this.subnet.id,
            routeTableId: routes.id,
        }, { parent: this });

        this.securityGroup = new aws.ec2.SecurityGroup(`${name}-nodes`, {
            vpcId: this.vpc.id,
            description: `cluster-lab ${config.labName}: operator access and cluster traffic between nodes`,
            ingress: portRules(config).map((rule) => ({
                description: rule.description,
                protocol: rule.protocol,
                fromPort: rule.fromPort,
                toPort: rule.toPort,
                ...RULE_SOURCES[rule.source](config),
            })),
            // Nodes install packages and pull images at boot.
            egress: [{ description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            tags: { ...tags, Name: `${config.labName}-nodes` },
        }, { parent: this });

        this.registerOutputs({ vpcId: this.vpc.id, subnetId: this.subnet.id, securityGroupId: this.securityGroup.id });
    }
}
