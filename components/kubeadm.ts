import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { Cni, LabConfig, SERVICE_CIDR } from "./config";
import { LabNode } from "./nodes";
import { nodeCommand } from "./remote";

export const API_PORT = 6443;

/** The CNI manifests, pinned: Calico 3.33 is tested with Kubernetes 1.35 to 1.37. */
export const CNI_MANIFESTS: Record<Cni, { version: string; url: string; daemonSet: string; manifestPodCidr?: string }> = {
    calico: {
        version: "v3.33.0",
        url: "https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/calico.yaml",
        // Calico takes the pod CIDR from kubeadm's configuration: the manifest needs no edit.
        daemonSet: "kube-system/calico-node",
    },
    flannel: {
        version: "v0.28.8",
        url: "https://github.com/flannel-io/flannel/releases/download/v0.28.8/kube-flannel.yml",
        daemonSet: "kube-flannel/kube-flannel-ds",
        manifestPodCidr: "10.244.0.0/16",
    },
};

/** What k8s-join-command.sh prints for one node. */
export interface JoinCommand {
    endpoint: string;
    token: string;
    caCertHash: string;
    certificateKey: string;
}

/** Parses the join step's output; an error never quotes it, since it is secret. */
export function parseJoinCommand(stdout: string, node: string): JoinCommand {
    let value: Partial<JoinCommand> | undefined;
    try {
        value = JSON.parse(stdout) as Partial<JoinCommand>;
    } catch {
        value = undefined;
    }
    if (!value?.endpoint || !value.token || !value.caCertHash || typeof value.certificateKey !== "string") {
        throw new Error(`the join command for ${node} is not the JSON that k8s-join-command.sh prints`);
    }
    return value as JoinCommand;
}

/** admin.conf with every cluster's server at the public endpoint (the public IP is in the API server's certificate). */
export function publicKubeconfig(adminConf: string, publicIp: string): string {
    const doc = parse(adminConf) as { clusters?: { cluster: { server: string } }[] } | null;
    if (!doc?.clusters?.length) throw new Error("the kubeconfig read from the first control plane has no clusters");
    for (const entry of doc.clusters) entry.cluster.server = `https://${publicIp}:${API_PORT}`;
    return stringify(doc);
}

export interface KubeadmClusterArgs {
    config: LabConfig;
    /** Control planes first, then workers, as planNodes orders them. */
    nodes: LabNode[];
    /** The hosts command of each node, in the order of nodes: names resolve before kubeadm runs. */
    hosts: command.remote.Command[];
}

/**
 * The kubeadm cluster: init and the CNI on the first control plane; then every other node gets a
 * fresh join command from it and joins. Workers join at the same time; control planes one after
 * the other, since etcd admits one new (learner) member at a time. Each joined node has a
 * membership command on the first control plane that waits until it is Ready and whose delete hook
 * drains and removes it there (an unreachable node must not block `pulumi destroy`).
 */
export class KubeadmCluster extends pulumi.ComponentResource {
    readonly init: command.remote.Command;
    readonly cni: command.remote.Command;
    readonly joins: command.remote.Command[] = [];
    readonly memberships: command.remote.Command[] = [];
    /** The admin kubeconfig with the public endpoint: secret. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;

    constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:kubernetes:KubeadmCluster", name, {}, opts);
        const { config, nodes, hosts } = args;
        const [first, ...others] = nodes;
        // A name in the managed /etc/hosts block rather than an IP: it can be pointed at another
        // control plane without reissuing certificates. Set for one control plane too, so that
        // the lab can grow to three.
        const endpoint = `${first.name}:${API_PORT}`;
        const cni = CNI_MANIFESTS[config.cni];
        const allowWorkloads = String(config.workers === 0);
        const onFirst = (step: string) => ({ node: first.name, step, connection: first.connection });

        this.init = nodeCommand(`${name}-init`, {
            ...onFirst("init"), script: "k8s-init.sh",
            env: {
                NODE_NAME: first.name,
                ADVERTISE_ADDR: first.instance.privateIp,
                PUBLIC_ADDR: first.instance.publicIp,
                CONTROL_PLANE_ENDPOINT: endpoint,
                POD_CIDR: config.podCidr,
                SERVICE_CIDR,
                UPLOAD_CERTS: String(config.managers > 1),
                ALLOW_WORKLOADS: allowWorkloads,
            },
        }, { parent: this, dependsOn: [hosts[0]] });

        this.cni = nodeCommand(`${name}-cni`, {
            ...onFirst("cni"), script: "k8s-cni.sh",
            env: {
                CNI: config.cni, CNI_MANIFEST_URL: cni.url, CNI_DAEMONSET: cni.daemonSet,
                MANIFEST_POD_CIDR: cni.manifestPodCidr ?? "", POD_CIDR: config.podCidr, NODE_NAME: first.name,
            },
        }, { parent: this, dependsOn: [this.init] });

        let previousControlPlane: command.remote.Command | undefined;
        others.forEach((node, i) => {
            const controlPlane = node.role === "manager";
            const joinCommand = nodeCommand(`${node.name}-join-command`, {
                ...onFirst(`join-command-for-${node.name}`), script: "k8s-join-command.sh",
                env: { NODE_NAME: node.name, CONTROL_PLANE: String(controlPlane) },
                secretStdout: true,
            }, { parent: this, dependsOn: [this.cni, ...(controlPlane && previousControlPlane ? [previousControlPlane] : [])] });
            const join = pulumi.secret(joinCommand.stdout.apply((out) => parseJoinCommand(out, node.name)));

            const joined = nodeCommand(`${node.name}-join`, {
                node: node.name, step: "join", connection: node.connection, script: "k8s-join.sh",
                env: {
                    NODE_NAME: node.name,
                    ADVERTISE_ADDR: node.instance.privateIp,
                    API_ENDPOINT: join.endpoint,
                    JOIN_TOKEN: join.token,
                    CA_CERT_HASH: join.caCertHash,
                    CONTROL_PLANE: String(controlPlane),
                    ...(controlPlane ? { CERTIFICATE_KEY: join.certificateKey } : {}),
                },
            }, { parent: this, dependsOn: [hosts[i + 1], joinCommand] });

            const membership = nodeCommand(`${node.name}-membership`, {
                ...onFirst(`membership-of-${node.name}`), script: "k8s-node-ready.sh",
                env: { NODE_NAME: node.name, ALLOW_WORKLOADS: controlPlane ? allowWorkloads : "false" },
                onDelete: {
                    script: "k8s-remove-node.sh",
                    env: { NODE_NAME: node.name, CONTROL_PLANE: String(controlPlane), ETCD_POD: `etcd-${first.name}` },
                },
            }, { parent: this, dependsOn: [joined] });

            if (controlPlane) previousControlPlane = membership;
            this.joins.push(joined);
            this.memberships.push(membership);
        });

        const adminConf = nodeCommand(`${name}-kubeconfig`, {
            ...onFirst("kubeconfig"), script: "k8s-kubeconfig.sh", secretStdout: true,
        }, { parent: this, dependsOn: [this.cni, ...this.memberships] });
        this.kubeconfig = pulumi.secret(pulumi.all([adminConf.stdout, first.instance.publicIp])
            .apply(([text, ip]) => publicKubeconfig(text, ip)));

        // deleteUnreachable: a lab whose nodes are already gone must still be destroyable.
        this.provider = new k8s.Provider(`${name}-provider`, {
            kubeconfig: this.kubeconfig, deleteUnreachable: true,
        }, { parent: this });

        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
