import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "./config";
import { LabNode } from "./nodes";
import { nodeCommand } from "./remote";

export interface SwarmClusterArgs {
    config: LabConfig;
    nodes: LabNode[];
    /** The hosts command of each node, in the order of nodes: a node joins with its name in place. */
    hosts: command.remote.Command[];
}

interface JoinTokens {
    worker: string;
    manager: string;
}

/**
 * The swarm: init on the first manager, then every other node joins at the same time. Each joined
 * node has a membership command on the first manager whose delete hook drains and removes it.
 * The hook runs on the manager, not on the node: a node that is already gone (a reclaimed spot
 * instance, a crash) must not block `pulumi destroy`, and the instance is terminated right after.
 */
export class SwarmCluster extends pulumi.ComponentResource {
    readonly init: command.remote.Command;
    readonly joins: command.remote.Command[];
    readonly memberships: command.remote.Command[];
    readonly leader: LabNode;

    constructor(name: string, args: SwarmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:swarm:SwarmCluster", name, {}, opts);
        const { config, nodes, hosts } = args;
        const [leader, ...others] = nodes;
        this.leader = leader;
        const drain = String(config.drainManagers);

        this.init = nodeCommand(`${name}-init`, {
            node: leader.name, step: "init", connection: leader.connection, script: "swarm-init.sh",
            env: { ADVERTISE_ADDR: leader.instance.privateIp, DRAIN: drain },
            secretStdout: true,
        }, { parent: this, dependsOn: [hosts[0]] });
        const tokens = pulumi.secret(this.init.stdout.apply((out) => JSON.parse(out) as JoinTokens));

        this.joins = [];
        this.memberships = [];
        others.forEach((node, i) => {
            const join = nodeCommand(`${node.name}-join`, {
                node: node.name, step: "join", connection: node.connection, script: "swarm-join.sh",
                env: {
                    JOIN_TOKEN: tokens.apply((t) => t[node.role]),
                    MANAGER_ADDR: leader.instance.privateIp,
                    ADVERTISE_ADDR: node.instance.privateIp,
                    ROLE: node.role,
                    DRAIN: drain,
                },
            }, { parent: this, dependsOn: [hosts[i + 1], this.init] });

            const nodeId = join.stdout.apply((out) => out.trim().split("\n").pop() ?? "");
            this.memberships.push(nodeCommand(`${node.name}-membership`, {
                node: leader.name, step: `membership-of-${node.name}`, connection: leader.connection,
                script: "swarm-node-ready.sh", env: { NODE_ID: nodeId },
                onDelete: { script: "swarm-remove-node.sh", env: { NODE_ID: nodeId } },
            }, { parent: this, dependsOn: [join] }));
            this.joins.push(join);
        });

        this.registerOutputs({});
    }
}
