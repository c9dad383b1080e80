import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { LabNode } from "./nodes";
import { NODE_SCRIPTS, nodeCommand, scriptIn } from "./remote";

export interface LabHostsArgs {
    nodes: LabNode[];
}

/**
 * The managed /etc/hosts block (every node by private IP and name) and the hostname, on every node.
 * Each node comes back with its hosts step added to `ready`: cluster commands wait for it.
 */
export class LabHosts extends pulumi.ComponentResource {
    readonly nodes: (LabNode & { hosts: command.remote.Command })[];

    constructor(name: string, args: LabHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:hosts:LabHosts", name, {}, opts);
        const entries = pulumi
            .all(args.nodes.map((n) => pulumi.interpolate`${n.instance.privateIp} ${n.name}`))
            .apply((lines) => lines.join("\n"));

        this.nodes = args.nodes.map((node) => {
            const hosts = nodeCommand(
                `${node.name}-hosts`,
                {
                    node: node.name,
                    step: "hosts",
                    connection: node.connection,
                    script: scriptIn(NODE_SCRIPTS, "set-hosts.sh"),
                    env: { LAB_HOSTNAME: node.name, HOSTS_ENTRIES: entries },
                },
                { parent: this, dependsOn: node.ready },
            );
            return { ...node, hosts, ready: [...node.ready, hosts] };
        });

        this.registerOutputs({});
    }
}
