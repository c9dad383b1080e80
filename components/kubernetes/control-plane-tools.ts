// What a control plane gives the course once it serves: the login user's kubectl, and the node-
// address load balancer for `type: LoadBalancer` Services.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { LabNode } from "../nodes";
import { nodeCommand, readScript } from "../remote";
import { K8S_SCRIPTS } from "./node-scripts";

export interface ControlPlaneToolsArgs {
    nodes: LabNode[];
    /** The step after which each control plane serves the API, by node name. */
    serving: Map<string, pulumi.Resource>;
    /** The ports no LoadBalancer Service may take (nodeAddressPorts). */
    clusterPorts: string[];
}

/** "<name> <public ip> <private ip>" for every node: the addresses LoadBalancer Services get. */
export function nodeAddresses(nodes: LabNode[]): pulumi.Output<string> {
    return pulumi
        .all(nodes.map((n) => pulumi.interpolate`${n.name} ${n.publicIp} ${n.instance.privateIp}`))
        .apply((lines) => lines.join("\n"));
}

export class ControlPlaneTools extends pulumi.ComponentResource {
    readonly kubectl: command.remote.Command[] = [];
    readonly serviceLoadBalancers: command.remote.Command[] = [];

    constructor(name: string, args: ControlPlaneToolsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:kubernetes:ControlPlaneTools", name, {}, opts);
        const addresses = nodeAddresses(args.nodes);
        for (const node of args.nodes.filter((n) => n.role === "manager")) {
            const serving = args.serving.get(node.name);
            if (!serving) throw new Error(`no step makes ${node.name} serve the API`);
            const on = { node: node.name, connection: node.connection };
            this.kubectl.push(
                nodeCommand(
                    `${node.name}-kubectl`,
                    {
                        ...on,
                        step: "kubectl",
                        script: K8S_SCRIPTS.loginKubectl,
                        env: { LOGIN_USER: node.connection.user },
                    },
                    { parent: this, dependsOn: [serving] },
                ),
            );
            this.serviceLoadBalancers.push(
                nodeCommand(
                    `${node.name}-service-lb`,
                    {
                        ...on,
                        step: "service-lb",
                        script: K8S_SCRIPTS.serviceLoadBalancer,
                        env: {
                            CONTROLLER: readScript(K8S_SCRIPTS.serviceLoadBalancerController),
                            NODE_ADDRESSES: addresses,
                            CLUSTER_PORTS: args.clusterPorts.join(" "),
                        },
                    },
                    { parent: this, dependsOn: [serving] },
                ),
            );
        }
        this.registerOutputs({});
    }
}
