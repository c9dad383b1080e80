import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig, SUBNET_CIDR, VPC_CIDR } from "./config";
import { Tags } from "./tags";

/** One security group rule: from allowedCidr ("operator") or from the lab's own nodes ("nodes"). */
export interface PortRule {
    description: string;
    /** "tcp", "udp", or an IP protocol number such as "50" (ESP). */
    protocol: string;
    fromPort: number;
    toPort: number;
    source: "operator" | "nodes";
}

/** Swarm's own ports, open only between lab nodes. */
export const SWARM_PORTS: readonly PortRule[] = [
    { description: "Swarm cluster management", protocol: "tcp", fromPort: 2377, toPort: 2377, source: "nodes" },
    { description: "Swarm node gossip (tcp)", protocol: "tcp", fromPort: 7946, toPort: 7946, source: "nodes" },
    { description: "Swarm node gossip (udp)", protocol: "udp", fromPort: 7946, toPort: 7946, source: "nodes" },
    { description: "Overlay network VXLAN", protocol: "udp", fromPort: 4789, toPort: 4789, source: "nodes" },
    { description: "Encrypted overlay (ESP)", protocol: "50", fromPort: 0, toPort: 0, source: "nodes" },
];

/** What the operator reaches from allowedCidr: SSH and the published sample ports. */
export function operatorPorts(config: LabConfig): PortRule[] {
    return [
        { description: "SSH", protocol: "tcp", fromPort: 22, toPort: 22, source: "operator" },
        { description: "nginx (web)", protocol: "tcp", fromPort: config.publishedPort, toPort: config.publishedPort, source: "operator" },
        { description: "nginx (web-global)", protocol: "tcp", fromPort: config.globalPublishedPort, toPort: config.globalPublishedPort, source: "operator" },
    ];
}

export function portRules(config: LabConfig): PortRule[] {
    return [...operatorPorts(config), ...SWARM_PORTS];
}

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
                ...(rule.source === "operator" ? { cidrBlocks: [config.allowedCidr] } : { self: true }),
            })),
            // Nodes install packages and pull images at boot.
            egress: [{ description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            tags: { ...tags, Name: `${config.labName}-nodes` },
        }, { parent: this });

        this.registerOutputs({ vpcId: this.vpc.id, subnetId: this.subnet.id, securityGroupId: this.securityGroup.id });
    }
}
