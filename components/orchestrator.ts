// What an orchestrator (swarm/, kubernetes/) gives the shared layers. The shared layers (network,
// nodes, hosts, load balancer) know nothing else about it: a new orchestrator implements this and
// adds one line to components/orchestrators.ts.
import * as pulumi from "@pulumi/pulumi";
import type { CommonConfig } from "./config/common";
import type { KeyTable, Problems, RawConfig } from "./config/keys";
import type { LabNode, NodeRole, NodeSpec } from "./nodes";
import type { PortRule } from "./ports";
import type { Script } from "./remote";
import type { Tags } from "./tags";

export interface Orchestrator {
    /** The `lab:` keys only this orchestrator reads: its defaults, rules and README rows. */
    readonly keys: KeyTable;
    /** Reads its keys and checks its rules on the common ones; every problem goes to `problems`. */
    configure(common: CommonConfig, raw: RawConfig, problems: Problems): OrchestratorLab;
}

/** The first-boot install, run by cloud-init on all nodes at once, and what the gate waits for. */
export interface FirstBoot {
    script: Script;
    env: Record<string, string>;
    engine: "docker" | "containerd";
}

/** One configured lab, as the shared layers need it. */
export interface OrchestratorLab {
    /** The whole validated configuration (common keys and this orchestrator's own). */
    readonly config: CommonConfig & { orchestrator: string };
    /** Node names and roles, first manager first. */
    readonly nodes: NodeSpec[];
    /** The role as the orchestrator calls it, for tags and outputs. */
    roleName(role: NodeRole): string;
    readonly firstBoot: FirstBoot;
    /** The instance type of a node of this role. */
    instanceType(role: NodeRole): string;
    /**
     * Whether nodes of this role keep their public address across a stop and start (an Elastic IP):
     * what certificates and kubeconfigs name must not change with lab:instanceType.
     */
    staticAddress(role: NodeRole): boolean;
    /** Security group rules: the operator's, the cluster's between nodes. */
    readonly ports: PortRule[];
    /** EC2's source/destination check; off where pod traffic is routed between nodes. */
    readonly sourceDestCheck: boolean;
    /** Where the sample app answers on every node: nginxUrls and the load balancer's target port. */
    readonly publishedPort: number;
    /**
     * Registered before every other resource, and the network waits for what it returns: a lab
     * whose settings changed in a way it cannot apply fails here, before anything changes.
     */
    guard?(): pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** Forms the cluster on ready nodes and deploys the sample app; returns the lab's own outputs. */
    build(context: BuildContext, opts: pulumi.ComponentResourceOptions): Record<string, pulumi.Input<unknown>>;
}

/** What the cluster is built on: ready nodes, and the network for any resource of its own. */
export interface BuildContext {
    nodes: LabNode[];
    network: {
        vpcId: pulumi.Input<string>;
        subnetId: pulumi.Input<string>;
        securityGroupId: pulumi.Input<string>;
        internetRoute: pulumi.Resource[];
    };
    tags: Tags;
}
