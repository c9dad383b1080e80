// The Docker Swarm lab: `swarm-manager<n>` and `swarm-worker<n>`, Docker installed at first boot,
// the swarm formed over SSH, and the sample stack deployed on it.
import * as pulumi from "@pulumi/pulumi";
import type { Orchestrator } from "../orchestrator";
import { planNodes } from "../nodes";
import { SwarmCluster } from "./cluster";
import { readSwarmConfig, SWARM_KEYS } from "./config";
import { SWARM_SCRIPTS } from "./node-scripts";
import { swarmNextSteps } from "./next-steps";
import { swarmPorts, VISUALIZER_PORT } from "./ports";
import { SwarmStack } from "./stack";

export const swarm: Orchestrator = {
    keys: SWARM_KEYS,
    configure(common, raw, problems) {
        const config = readSwarmConfig(common, raw, problems);
        return {
            config,
            nodes: planNodes({ manager: "swarm-manager", worker: "swarm-worker" }, config.managers, config.workers),
            roleName: (role) => role,
            firstBoot: { script: SWARM_SCRIPTS.installDocker, env: {}, engine: "docker" },
            instanceType: () => config.instanceType,
            staticAddress: () => false,
            ports: swarmPorts(config),
            sourceDestCheck: true,
            publishedPort: config.publishedPort,
            build({ nodes }, opts) {
                if (config.form === "nodes") return { nextSteps: swarmNextSteps(nodes) };
                const cluster = new SwarmCluster("swarm", { config, nodes }, opts);
                if (!config.sampleApp && !config.visualizer) return {};
                const stack = new SwarmStack("stack", { config, leader: cluster.leader, cluster: [cluster.init, ...cluster.joins] }, opts);
                return {
                    services: stack.deploy.stdout,
                    ...(config.visualizer
                        ? { visualizerUrl: pulumi.interpolate`http://${cluster.leader.publicIp}:${VISUALIZER_PORT}` }
                        : {}),
                };
            },
        };
    },
};
