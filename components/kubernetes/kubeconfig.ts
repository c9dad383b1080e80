// The secret stdout of the kubeadm steps, parsed without ever quoting it in an error.
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { API_PORT } from "./ports";

/** What k8s-join-command.sh prints for one node. */
export interface JoinCommand {
    endpoint: string;
    token: string;
    caCertHash: string;
    certificateKey: string;
}

export function parseJoinCommand(stdout: string, node: string): JoinCommand {
    let value: Partial<JoinCommand> | undefined;
    try {
        value = JSON.parse(stdout) as Partial<JoinCommand>;
    } catch {
        value = undefined;
    }
    if (!value?.endpoint || !value.token || !value.caCertHash || typeof value.certificateKey !== "string") {
        throw new pulumi.RunError(`the join command for ${node} is not the JSON that k8s-join-command.sh prints`);
    }
    return value as JoinCommand;
}

/** The context, cluster and user of a lab's kubeconfig: two labs merge into one file without collisions. */
export const kubeconfigName = (labName: string) => `cluster-lab-${labName}`;

interface Kubeconfig {
    clusters?: { name: string; cluster: { server: string } }[];
    users?: { name: string }[];
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    "current-context"?: string;
}

/**
 * admin.conf for the operator: its one cluster, user and context named after the lab, the server
 * at the public endpoint (a name or address the API server's certificate carries).
 */
export function publicKubeconfig(adminConf: string, publicHost: string, labName: string): string {
    let doc: Kubeconfig | null;
    try {
        doc = parse(adminConf) as Kubeconfig | null;
    } catch {
        doc = null; // the parser's message quotes the text, which holds the client key
    }
    if (doc?.clusters?.length !== 1 || doc.users?.length !== 1) {
        throw new pulumi.RunError("the kubeconfig read from the first control plane is not kubeadm's admin.conf (one cluster, one user)");
    }
    const name = kubeconfigName(labName);
    doc.clusters[0].name = name;
    doc.clusters[0].cluster.server = `https://${publicHost}:${API_PORT}`;
    doc.users[0].name = name;
    doc.contexts = [{ name, context: { cluster: name, user: name } }];
    doc["current-context"] = name;
    return stringify(doc);
}
