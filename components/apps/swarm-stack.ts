import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { LabConfig } from "../config";
import { LabNode } from "../nodes";
import { nodeCommand } from "../remote";

export const STACK_NAME = "lab";

/** Rolling updates one task at a time, new task first; a failed update rolls back by itself. */
const updateConfig = { parallelism: 1, delay: "10s", order: "start-first", monitor: "15s", failure_action: "rollback" };
const rollbackConfig = { parallelism: 1, delay: "5s", order: "start-first" };

/** The sample stack as a compose file: nginx replicated (`web`) and global (`web-global`) on an overlay network. */
export function swarmStackCompose(config: LabConfig): string {
    const port = (published: number) => [{ target: 80, published, protocol: "tcp", mode: "ingress" }];
    return stringify({
        version: "3.8",
        services: {
            web: {
                image: config.nginxImage,
                ports: port(config.publishedPort),
                networks: ["web"],
                deploy: {
                    mode: "replicated",
                    replicas: config.nginxReplicas,
                    ...(config.workers > 0 ? { placement: { constraints: ["node.role == worker"] } } : {}),
                    update_config: updateConfig,
                    rollback_config: rollbackConfig,
                    restart_policy: { condition: "any", delay: "5s" },
                },
            },
            "web-global": {
                image: config.nginxImage,
                ports: port(config.globalPublishedPort),
                networks: ["web"],
                deploy: {
                    mode: "global",
                    update_config: updateConfig,
                    rollback_config: rollbackConfig,
                    restart_policy: { condition: "any", delay: "5s" },
                },
            },
        },
        networks: { web: { driver: "overlay" } },
    });
}

export interface SwarmStackArgs {
    config: LabConfig;
    leader: LabNode;
    /** The swarm commands the deploy waits for: init and every join. */
    cluster: command.remote.Command[];
}

/** `docker stack deploy` of the sample stack on the first manager; waits until it has converged. */
export class SwarmStack extends pulumi.ComponentResource {
    readonly deploy: command.remote.Command;

    constructor(name: string, args: SwarmStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:apps:SwarmStack", name, {}, opts);
        const { config, leader } = args;
        this.deploy = nodeCommand(`${name}-deploy`, {
            node: leader.name, step: "deploy", connection: leader.connection, script: "deploy-stack.sh",
            env: {
                STACK_NAME,
                STACK_COMPOSE: swarmStackCompose(config),
                EXPECTED_NODES: config.managers + config.workers,
            },
        }, { parent: this, dependsOn: args.cluster });
        this.registerOutputs({ services: this.deploy.stdout });
    }
}
