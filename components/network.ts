// VPC, one public subnet, internet gateway, routes, and the nodes' security group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CommonConfig, SUBNET_CIDR, VPC_CIDR } from "./config/common";
import { PortRule, ruleSource } from "./ports";
import { Tags } from "./tags";
import { labZone, typeOfferings, zoneProblem } from "./zone";

export interface LabNetworkArgs {
    config: CommonConfig;
    /** Every ingress rule of the nodes' security group (the orchestrator's, the load balancer's). */
    ports: PortRule[];
    /** The lab's instance types: the subnet's zone must offer each. */
    instanceTypes: string[];
    tags: Tags;
}

export class LabNetwork extends pulumi.ComponentResource {
    readonly vpc: aws.ec2.Vpc;
    readonly subnet: aws.ec2.Subnet;
    /** The subnet's id once its zone is known to offer every instance type of the lab. */
    readonly nodeSubnetId: pulumi.Output<string>;
    readonly securityGroup: aws.ec2.SecurityGroup;
    /**
     * The route to the internet gateway. Instances and the load balancer depend on it: first-boot
     * installs need it, AWS refuses an internet-facing NLB in a VPC without a gateway, and on destroy
     * the instances (which hold public addresses) must go before the gateway can be detached.
     */
    readonly internetRoute: pulumi.Resource[];

    constructor(name: string, args: LabNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:network:LabNetwork", name, {}, opts);
        const { config, tags } = args;
        const named = (suffix: string) => ({ ...tags, Name: `${config.labName}-${suffix}` });

        this.vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: VPC_CIDR,
                enableDnsHostnames: true,
                enableDnsSupport: true,
                tags: named("vpc"),
            },
            { parent: this },
        );

        const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: named("igw") }, { parent: this });

        const offerings = typeOfferings(args.instanceTypes, { parent: this });
        this.subnet = new aws.ec2.Subnet(
            `${name}-public`,
            {
                vpcId: this.vpc.id,
                cidrBlock: SUBNET_CIDR,
                availabilityZone: offerings.apply((found) => labZone(found, args.instanceTypes, config.region)),
                mapPublicIpOnLaunch: true,
                tags: named("public"),
            },
            // The zone is chosen once, with the subnet (a new zone is a new subnet, and so a new lab);
            // subnets made before the choice keep the zone AWS gave them.
            { parent: this, ignoreChanges: ["availabilityZone"] },
        );
        this.nodeSubnetId = pulumi.all([this.subnet.id, this.subnet.availabilityZone, offerings]).apply(([id, zone, found]) => {
            const problem = zoneProblem(zone, config.region, found, args.instanceTypes);
            if (problem) throw new pulumi.RunError(problem);
            return id;
        });

        const routes = new aws.ec2.RouteTable(
            `${name}-routes`,
            {
                vpcId: this.vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
                tags: named("routes"),
            },
            { parent: this },
        );

        const association = new aws.ec2.RouteTableAssociation(
            `${name}-public-routes`,
            {
                subnetId: this.subnet.id,
                routeTableId: routes.id,
            },
            { parent: this },
        );
        this.internetRoute = [routes, association];

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-nodes`,
            {
                vpcId: this.vpc.id,
                description: `cluster-lab ${config.labName}: operator access and cluster traffic between nodes`,
                ingress: args.ports.map((rule) => ({
                    description: rule.description,
                    protocol: rule.protocol,
                    fromPort: rule.fromPort,
                    toPort: rule.toPort,
                    ...ruleSource(rule, config.allowedCidrs),
                })),
                // Nodes install packages and pull images at boot.
                egress: [{ description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
                tags: named("nodes"),
            },
            { parent: this },
        );

        this.registerOutputs({ vpcId: this.vpc.id, subnetId: this.subnet.id, securityGroupId: this.securityGroup.id });
    }
}
