import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { LabNode } from "./nodes";
import { nodeCommand } from "./remote";

export interface LabHostsArgs {
    nodes: LabNode[];
}

/** The managed /etc/hosts block (every node by private IP and name) and the hostname, on every node. */
export class LabHosts extends pulumi.ComponentResource {
    /** One command per node, in the order of args.nodes. */
    readonly commands: command.remote.Command[];

    constructor(name: string, args: LabHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:hosts:LabHosts", name, {}, opts);
        const entries = pulumi.all(args.nodes.map((n) => pulumi.interpolate`${n.instance.privateIp} ${n.name}`))
            .apply((lines) => lines.join("\n"));

        this.commands = args.nodes.map((node) => nodeCommand(`${node.name}-hosts`, {
            node: node.name, step: "hosts", connection: node.connection, script: "set-hosts.sh",
            env: { LAB_HOSTNAME: node.name, HOSTS_ENTRIES: entries },
        }, { parent: this, dependsOn: [node.gate] }));

        this.registerOutputs({});
    }
}
