// Three control planes behind one address: an AWS Network Load Balancer on 6443.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SUBNET_CIDR } from "../config/common";
import type { LabNode } from "../nodes";
import type { Tags } from "../tags";
import { API_PORT } from "./ports";

export interface KubernetesApiLoadBalancerArgs {
    labName: string;
    controlPlanes: LabNode[];
    allowedCidrs: string[];
    vpcId: pulumi.Input<string>;
    subnetId: pulumi.Input<string>;
    /** AWS refuses an internet-facing NLB until the VPC has an internet gateway. */
    internetRoute: pulumi.Resource[];
    tags: Tags;
}

/**
 * An internet-facing NLB forwarding 6443 to every control plane that passes its health check (the
 * API server's /readyz). Its security group admits allowedCidr (the operator's kubeconfig) and the
 * lab subnet (the workers, through its private address). It does not keep client addresses: a
 * control plane that reaches the API through it may land on itself, which only works when the
 * target sees the load balancer's address (AWS: no hairpinning with client IP preservation).
 */
export class KubernetesApiLoadBalancer extends pulumi.ComponentResource {
    /** What the operator's kubeconfig and the certificates name. */
    readonly dnsName: pulumi.Output<string>;
    /** Its address in the lab subnet, where the nodes' `k8s-api` points. */
    readonly privateIp: pulumi.Output<string>;
    readonly securityGroup: aws.ec2.SecurityGroup;

    constructor(name: string, args: KubernetesApiLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:kubernetes:ApiLoadBalancer", name, {}, opts);
        const { tags } = args;
        const named = (suffix: string) => ({ ...tags, Name: `${args.labName}-${suffix}` });
        const api = { protocol: "tcp", fromPort: API_PORT, toPort: API_PORT };

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-lb`,
            {
                vpcId: args.vpcId,
                description: `cluster-lab ${args.labName}: the Kubernetes API load balancer`,
                ingress: [
                    { ...api, description: "Kubernetes API (operator)", cidrBlocks: args.allowedCidrs },
                    { ...api, description: "Kubernetes API (nodes)", cidrBlocks: [SUBNET_CIDR] },
                ],
                egress: [{ ...api, description: "control planes and their health checks", cidrBlocks: [SUBNET_CIDR] }],
                tags: named("api-lb"),
            },
            { parent: this },
        );

        const nlb = new aws.lb.LoadBalancer(
            `${name}-nlb`,
            {
                loadBalancerType: "network",
                internal: false,
                subnets: [args.subnetId],
                securityGroups: [this.securityGroup.id],
                tags: named("api"),
            },
            { parent: this, dependsOn: args.internetRoute },
        );

        const targets = new aws.lb.TargetGroup(
            `${name}-control-planes`,
            {
                vpcId: args.vpcId,
                targetType: "instance",
                protocol: "TCP",
                port: API_PORT,
                preserveClientIp: "false",
                deregistrationDelay: 10,
                // /readyz answers without credentials (system:public-info-viewer) once the API server serves.
                healthCheck: {
                    protocol: "HTTPS",
                    path: "/readyz",
                    port: "traffic-port",
                    matcher: "200",
                    interval: 10,
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                },
                tags: named("control-planes"),
            },
            { parent: this },
        );

        for (const node of args.controlPlanes) {
            new aws.lb.TargetGroupAttachment(
                `${node.name}-api-target`,
                {
                    targetGroupArn: targets.arn,
                    targetId: node.instance.id,
                    port: API_PORT,
                },
                { parent: this },
            );
        }

        new aws.lb.Listener(
            `${name}-api`,
            {
                loadBalancerArn: nlb.arn,
                protocol: "TCP",
                port: API_PORT,
                defaultActions: [{ type: "forward", targetGroupArn: targets.arn }],
                tags,
            },
            { parent: this },
        );

        this.dnsName = nlb.dnsName;
        // AWS names an NLB's network interface "ELB net/<name>/<id>" (its ARN suffix); one subnet, one interface.
        this.privateIp = aws.ec2.getNetworkInterfaceOutput(
            {
                filters: [{ name: "description", values: [pulumi.interpolate`ELB ${nlb.arnSuffix}`] }],
            },
            { parent: this },
        ).privateIp;
        this.registerOutputs({ dnsName: this.dnsName, privateIp: this.privateIp });
    }
}
