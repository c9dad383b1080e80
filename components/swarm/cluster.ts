import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { LabNode } from "../nodes";
import { nodeCommand } from "../remote";
import { waits } from "../timeouts";
import type { SwarmConfig } from "./config";
import { SWARM_SCRIPTS } from "./node-scripts";

export interface SwarmClusterArgs {
    config: SwarmConfig;
    /** Managers first; each node ready (gate and hosts done). */
    nodes: LabNode[];
}

interface JoinTokens {
    worker: string;
    manager: string;
}

/** The init step's stdout: the join tokens. Its errors never quote it, since it is secret. */
export function parseJoinTokens(stdout: string): JoinTokens {
    let value: Partial<JoinTokens> | undefined;
    try {
        value = JSON.parse(stdout) as Partial<JoinTokens>;
    } catch {
        value = undefined;
    }
    if (!value?.worker?.startsWith("SWMTKN-") || !value.manager?.startsWith("SWMTKN-")) {
        throw new pulumi.RunError("the init step on the first manager did not print the join tokens as swarm-init.sh does");
    }
    return { worker: value.worker, manager: value.manager };
}

/**
 * The swarm: init on the first manager, then the workers join at the same time and the managers one
 * at a time, each once the one before is a reachable Raft member (Raft changes its membership one
 * member at a time; two managers joining a one-manager swarm at once can leave it a two-member Raft
 * with a member that never came up, which has no quorum). Each joined
 * node has a membership command on the first manager whose delete hook drains and removes it.
 * The hook runs on the manager, not on the node: a node that is already gone (a reclaimed spot
 * instance, a crash) must not block a scale-down, and the instance is terminated right after.
 */
export class SwarmCluster extends pulumi.ComponentResource {
    readonly init: command.remote.Command;
    readonly joins: command.remote.Command[] = [];
    readonly memberships: command.remote.Command[] = [];
    readonly leader: LabNode;

    constructor(name: string, args: SwarmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:swarm:SwarmCluster", name, {}, opts);
        const { config, nodes } = args;
        const [leader, ...others] = nodes;
        this.leader = leader;
        const drain = String(config.drainManagers);

        this.init = nodeCommand(
            `${name}-init`,
            {
                node: leader.name,
                step: "init",
                connection: leader.connection,
                script: SWARM_SCRIPTS.init,
                env: { ADVERTISE_ADDR: leader.instance.privateIp, DRAIN: drain },
                secretStdout: true,
            },
            { parent: this, dependsOn: leader.ready },
        );
        const tokens = pulumi.secret(this.init.stdout.apply(parseJoinTokens));

        let previousManager: command.remote.Command | undefined;
        for (const node of others) {
            // Managers join, and leave, one at a time: each after the previous manager's membership.
            const afterPreviousManager = node.role === "manager" && previousManager ? [previousManager] : [];
            // A new instance is a new node, replaced or recreated after a refresh dropped the old one: it
            // joins anew, and its old membership is deleted, which removes the old node from the swarm
            // (no Down node, no dead Raft member).
            const join = nodeCommand(
                `${node.name}-join`,
                {
                    node: node.name,
                    step: "join",
                    connection: node.connection,
                    script: SWARM_SCRIPTS.join,
                    env: {
                        JOIN_TOKEN: tokens.apply((t) => t[node.role]),
                        MANAGER_ADDR: leader.instance.privateIp,
                        ADVERTISE_ADDR: node.instance.privateIp,
                        ROLE: node.role,
                        DRAIN: drain,
                        ...waits("JOIN_ATTEMPTS", "JOIN_PENDING_TIMEOUT"),
                    },
                    replaceOn: [node.instance.id],
                },
                {
                    parent: this,
                    dependsOn: [...node.ready, this.init, ...afterPreviousManager],
                    replaceWith: [node.instance],
                },
            );

            const nodeId = join.stdout.apply((out) => out.trim().split("\n").pop() ?? "");
            const membership = nodeCommand(
                `${node.name}-membership`,
                {
                    node: leader.name,
                    step: `membership-of-${node.name}`,
                    connection: leader.connection,
                    script: SWARM_SCRIPTS.nodeReady,
                    env: { NODE_ID: nodeId, ...waits("NODE_READY_TIMEOUT") },
                    onDelete: { script: SWARM_SCRIPTS.removeNode, env: { NODE_ID: nodeId, ...waits("DRAIN_TIMEOUT", "DEMOTE_TIMEOUT") } },
                    replaceOn: [node.instance.id],
                },
                {
                    parent: this,
                    // Managers are removed one at a time, the last first, so that Raft keeps its quorum.
                    dependsOn: [join, ...afterPreviousManager],
                    replaceWith: [node.instance],
                    // When the first manager goes too (pulumi destroy), the whole swarm goes: no hook runs,
                    // so destroy needs no SSH, from any address, even with the first manager already gone.
                    deletedWith: leader.instance,
                },
            );
            if (node.role === "manager") previousManager = membership;
            this.memberships.push(membership);
            this.joins.push(join);
        }

        this.registerOutputs({});
    }
}
