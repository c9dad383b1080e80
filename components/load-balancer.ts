import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CommonConfig } from "./config/common";
import { LabNode } from "./nodes";
import { Tags } from "./tags";

export const LISTENER_PORT = 80;

/** The NLB's targets: the workers, or every node of a lab without workers. */
export function loadBalancerTargets(nodes: LabNode[]): LabNode[] {
    const workers = nodes.filter((n) => n.role === "worker");
    return workers.length > 0 ? workers : nodes;
}

export interface LabLoadBalancerArgs {
    config: CommonConfig;
    /** Where the sample app answers on every node (the Swarm routing mesh port, or the NodePort). */
    port: number;
    tags: Tags;
    vpcId: pulumi.Input<string>;
    subnetId: pulumi.Input<string>;
    nodes: LabNode[];
    /** AWS refuses an internet-facing NLB until the VPC has an internet gateway. */
    internetRoute: pulumi.Resource[];
}

/**
 * An internet-facing Network Load Balancer on port 80 in front of lab:publishedPort (the Swarm
 * ingress port, or the NodePort under kubernetes), since the lab has no cloud controller to serve
 * a `type: LoadBalancer` Service. It does not wait for the cluster: it provisions while nodes
 * boot, and its TCP health checks mark targets healthy once nginx answers.
 */
export class LabLoadBalancer extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: LabLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:apps:LabLoadBalancer", name, {}, opts);
        const { config, tags } = args;
        const port = args.port;

        const nlb = new aws.lb.LoadBalancer(
            `${name}-nlb`,
            {
                loadBalancerType: "network",
                internal: false,
                subnets: [args.subnetId],
                tags: { ...tags, Name: `${config.labName}-nlb` },
            },
            { parent: this, dependsOn: args.internetRoute },
        );

        const targetGroup = new aws.lb.TargetGroup(
            `${name}-web`,
            {
                vpcId: args.vpcId,
                targetType: "instance",
                protocol: "TCP",
                port,
                // Client addresses reach the nodes, whose security group admits allowedCidr only.
                preserveClientIp: "true",
                deregistrationDelay: 10,
                healthCheck: { protocol: "TCP", port: "traffic-port", interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
                tags: { ...tags, Name: `${config.labName}-web` },
            },
            { parent: this },
        );

        for (const node of loadBalancerTargets(args.nodes)) {
            new aws.lb.TargetGroupAttachment(
                `${node.name}-target`,
                {
                    targetGroupArn: targetGroup.arn,
                    targetId: node.instance.id,
                    port,
                },
                { parent: this },
            );
        }

        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: nlb.arn,
                protocol: "TCP",
                port: LISTENER_PORT,
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                tags,
            },
            { parent: this },
        );

        this.url = pulumi.interpolate`http://${nlb.dnsName}`;
        this.registerOutputs({ url: this.url });
    }
}
