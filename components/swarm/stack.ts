import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { LabNode } from "../nodes";
import { nodeCommand } from "../remote";
import { waits } from "../timeouts";
import type { SwarmConfig } from "./config";
import { SWARM_SCRIPTS } from "./node-scripts";
import { VISUALIZER_PORT } from "./ports";

export const STACK_NAME = "lab";

/** Rolling updates one task at a time, new task first; a failed update rolls back by itself. */
const updateConfig = { parallelism: 1, delay: "10s", order: "start-first", monitor: "15s", failure_action: "rollback" };
const rollbackConfig = { parallelism: 1, delay: "5s", order: "start-first" };

/**
 * Zero lost requests in a rolling update: Swarm puts a task with a health check into the routing
 * mesh only once it is healthy, and takes a task out of the mesh before it stops it; nginx then
 * finishes the requests in flight on SIGQUIT (its graceful stop, the official image's STOPSIGNAL).
 * The official nginx images carry curl. Each probe is an exec in the container, cheap on an idle
 * node but seconds of CPU on a busy one (out of CPU credits, or emulated): probes every few seconds
 * in every task then starve the node until tasks fail to start, time out and are killed in a loop
 * that never converges. So Docker's default interval (the first probe comes one interval after the
 * start, so a new task takes traffic after about 30 s) and its default timeout: a probe that takes
 * 7-10 s (measured with five tasks starting on one emulated node) is slow, not failed; a stopped
 * nginx still fails at once (connection refused).
 */
const zeroDowntime = {
    healthcheck: {
        test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/"],
        interval: "30s",
        timeout: "30s",
        retries: 3,
        start_period: "30s",
    },
    stop_signal: "SIGQUIT",
    stop_grace_period: "20s",
};

/**
 * The sample stack as a compose file: nginx replicated (`web`) and global (`web-global`) on an
 * overlay network. Every string is double-quoted: Docker reads compose files as YAML 1.1, where a
 * plain `yes`, `on` or `1e3` (each a valid image name) would be a boolean or a number.
 */
export function swarmStackCompose(config: SwarmConfig): string {
    const port = (published: number, target = 80) => [{ target, published, protocol: "tcp", mode: "ingress" }];
    const nginx = {
        web: {
            image: config.nginxImage,
            ...zeroDowntime,
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
            ...zeroDowntime,
            ports: port(config.globalPublishedPort),
            networks: ["web"],
            deploy: {
                mode: "global",
                update_config: updateConfig,
                rollback_config: rollbackConfig,
                restart_policy: { condition: "any", delay: "5s" },
            },
        },
    };
    // The course's visualizer, as the course runs it: on a manager, reading the Docker socket.
    const visualizer = {
        visualizer: {
            image: VISUALIZER_IMAGE,
            ports: port(VISUALIZER_PORT, 8080),
            volumes: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
            deploy: { placement: { constraints: ["node.role == manager"] }, restart_policy: { condition: "any", delay: "5s" } },
        },
    };
    return stringify(
        {
            version: "3.8",
            services: { ...(config.sampleApp ? nginx : {}), ...(config.visualizer ? visualizer : {}) },
            ...(config.sampleApp ? { networks: { web: { driver: "overlay" } } } : {}),
        },
        { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" },
    );
}

/** The image the course's visualizer lesson runs. */
export const VISUALIZER_IMAGE = "dockersamples/visualizer";

export interface SwarmStackArgs {
    config: SwarmConfig;
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
        this.deploy = nodeCommand(
            `${name}-deploy`,
            {
                node: leader.name,
                step: "deploy",
                connection: leader.connection,
                script: SWARM_SCRIPTS.deployStack,
                env: {
                    STACK_NAME,
                    STACK_COMPOSE: swarmStackCompose(config),
                    EXPECTED_NODES: config.managers + config.workers,
                    ...waits("CONVERGE_TIMEOUT"),
                },
            },
            { parent: this, dependsOn: args.cluster },
        );
        this.registerOutputs({ services: this.deploy.stdout });
    }
}
