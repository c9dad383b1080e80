import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabNode } from "../nodes";
import { nodeCommand, ScriptEnv } from "../remote";
import { waits } from "../timeouts";
import { CNIS } from "./cni";
import { KubernetesConfig, SERVICE_CIDR } from "./config";
import { API_HOST, apiAnswers, ApiEndpoint, CONTROL_PLANE_ENDPOINT } from "./endpoint";
import { parseJoinCommand, publicKubeconfig } from "./kubeconfig";
import { K8S_SCRIPTS } from "./node-scripts";

export interface KubeadmClusterArgs {
    config: KubernetesConfig;
    /** Control planes first, then workers; each node ready (gate and hosts done). */
    nodes: LabNode[];
    endpoint: ApiEndpoint;
}

/**
 * The kubeadm cluster: init and the CNI on the first control plane; then every other node gets a
 * fresh join command from it and joins. Workers join at the same time; control planes one after
 * the other, since etcd admits one new (learner) member at a time. The join command first hands
 * the node's name over from another instance of it (Pulumi creates a replacement, same name, before
 * it deletes the old one: k8s-join-command.sh). Each joined node has a
 * membership command on the first control plane that waits until it is Ready and whose delete hook
 * drains and removes it there (an unreachable node must not block `pulumi destroy`).
 */
export class KubeadmCluster extends pulumi.ComponentResource {
    readonly init: command.remote.Command;
    readonly cni: command.remote.Command;
    readonly joins: command.remote.Command[] = [];
    readonly memberships: command.remote.Command[] = [];
    /** The step after which each control plane serves the API (init, or its join), by node name. */
    readonly serving = new Map<string, command.remote.Command>();
    /** The admin kubeconfig for the operator (lab-named, public endpoint): secret. */
    readonly kubeconfig: pulumi.Output<string>;
    /** The program's own provider, for the sample app (none with lab:sampleApp false). */
    readonly provider?: k8s.Provider;

    constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:kubernetes:KubeadmCluster", name, {}, opts);
        const { config, nodes, endpoint } = args;
        const [first, ...others] = nodes;
        const cni = CNIS[config.cni];
        const allowWorkloads = String(config.workers === 0);
        const onFirst = (step: string) => ({ node: first.name, step, connection: first.connection });
        // A new first control plane is a new cluster: every step of the old one is done anew.
        const rebuilt = [first.instance];

        this.init = nodeCommand(
            `${name}-init`,
            {
                ...onFirst("init"),
                script: K8S_SCRIPTS.init,
                env: {
                    NODE_NAME: first.name,
                    INSTANCE_ID: first.instance.id,
                    ADVERTISE_ADDR: first.instance.privateIp,
                    CONTROL_PLANE_ENDPOINT,
                    API_HOST,
                    CERT_SANS: endpoint.certSans.apply((sans) => sans.join(",")),
                    POD_CIDR: config.podCidr,
                    SERVICE_CIDR,
                    UPLOAD_CERTS: String(config.managers > 1),
                    ALLOW_WORKLOADS: allowWorkloads,
                },
            },
            { parent: this, dependsOn: first.ready, replaceWith: rebuilt },
        );
        this.serving.set(first.name, this.init);

        // admin.conf, read once init completed: the operator's kubeconfig, and what a joining control
        // plane uses to clear the etcd member an earlier attempt of its own left.
        const adminConf = nodeCommand(
            `${name}-kubeconfig`,
            {
                ...onFirst("kubeconfig"),
                script: K8S_SCRIPTS.kubeconfig,
                secretStdout: true,
            },
            { parent: this, dependsOn: [this.init], replaceWith: rebuilt },
        );
        const adminKubeconfig = pulumi.secret(adminConf.stdout);

        this.cni = nodeCommand(
            `${name}-cni`,
            {
                ...onFirst("cni"),
                script: K8S_SCRIPTS.cni,
                env: {
                    CNI: config.cni,
                    CNI_MANIFEST_URL: cni.url,
                    CNI_DAEMONSET: cni.daemonSet,
                    MANIFEST_POD_CIDR: cni.manifestPodCidr ?? "",
                    POD_CIDR: config.podCidr,
                    NODE_NAME: first.name,
                    ...waits("NODE_READY_TIMEOUT"),
                },
            },
            { parent: this, dependsOn: [this.init], replaceWith: rebuilt },
        );

        let previousControlPlane: command.remote.Command | undefined;
        for (const node of others) {
            const controlPlane = node.role === "manager";
            // Which instance is this node: a successor takes the name over from its predecessor.
            const identity = { NODE_NAME: node.name, INSTANCE_ID: node.instance.id, NODE_ADDR: node.instance.privateIp };
            const etcdPod: ScriptEnv = controlPlane ? { ETCD_POD: `etcd-${first.name}` } : {};
            const joinCommand = nodeCommand(
                `${node.name}-join-command`,
                {
                    ...onFirst(`join-command-for-${node.name}`),
                    script: K8S_SCRIPTS.joinCommand,
                    env: { ...identity, CONTROL_PLANE: String(controlPlane), ...etcdPod, ...waits("DRAIN_TIMEOUT") },
                    secretStdout: true,
                    replaceOn: [node.instance.id],
                },
                {
                    parent: this,
                    dependsOn: [this.cni, ...(controlPlane && previousControlPlane ? [previousControlPlane] : [])],
                    replaceWith: [node.instance, ...rebuilt],
                },
            );
            const join = pulumi.secret(joinCommand.stdout.apply((out) => parseJoinCommand(out, node.name)));

            const joined = nodeCommand(
                `${node.name}-join`,
                {
                    node: node.name,
                    step: "join",
                    connection: node.connection,
                    script: K8S_SCRIPTS.join,
                    env: {
                        NODE_NAME: node.name,
                        INSTANCE_ID: node.instance.id,
                        ADVERTISE_ADDR: node.instance.privateIp,
                        API_ENDPOINT: join.endpoint,
                        API_HOST,
                        API_ADDRESS: endpoint.nodeAddress,
                        JOIN_TOKEN: join.token,
                        CA_CERT_HASH: join.caCertHash,
                        CONTROL_PLANE: String(controlPlane),
                        ...(controlPlane ? { CERTIFICATE_KEY: join.certificateKey, ADMIN_KUBECONFIG: adminKubeconfig, ...etcdPod } : {}),
                    },
                    replaceOn: [node.instance.id],
                },
                { parent: this, dependsOn: [...node.ready, joinCommand], replaceWith: [node.instance, ...rebuilt] },
            );
            if (controlPlane) this.serving.set(node.name, joined);

            const membership = nodeCommand(
                `${node.name}-membership`,
                {
                    ...onFirst(`membership-of-${node.name}`),
                    script: K8S_SCRIPTS.nodeReady,
                    env: { NODE_NAME: node.name, ALLOW_WORKLOADS: controlPlane ? allowWorkloads : "false", ...waits("NODE_READY_TIMEOUT") },
                    onDelete: {
                        script: K8S_SCRIPTS.removeNode,
                        // The old instance's id and address when the node was replaced: it leaves the successor alone.
                        env: {
                            ...identity,
                            CONTROL_PLANE: String(controlPlane),
                            ETCD_POD: `etcd-${first.name}`,
                            ...waits("DRAIN_TIMEOUT"),
                        },
                    },
                    replaceOn: [node.instance.id],
                },
                {
                    parent: this,
                    dependsOn: [joined],
                    replaceWith: [node.instance, ...rebuilt],
                    // With the first control plane the whole cluster goes (pulumi destroy): no hook runs.
                    deletedWith: first.instance,
                },
            );

            if (controlPlane) previousControlPlane = membership;
            this.joins.push(joined);
            this.memberships.push(membership);
        }

        this.kubeconfig = pulumi.secret(
            pulumi.all([adminConf.stdout, endpoint.publicHost]).apply(([text, host]) => publicKubeconfig(text, host, config.labName)),
        );

        if (config.sampleApp)
            this.provider = new k8s.Provider(
                `${name}-provider`,
                {
                    // Passing through the security groups' ids makes the provider wait for their updates: from
                    // a new operator address, the API is open to it before the provider talks to the cluster.
                    // Once every node joined, the API must answer this machine, or the run fails saying why.
                    kubeconfig: pulumi.secret(
                        pulumi
                            .all([
                                this.kubeconfig,
                                endpoint.publicHost,
                                ...endpoint.openedBy,
                                this.cni.stdout,
                                ...this.memberships.map((m) => m.stdout),
                            ])
                            .apply(async ([kubeconfig, host]) => {
                                await apiAnswers(host, config);
                                return kubeconfig;
                            }),
                    ),
                    // A refresh from an address the lab does not admit keeps the app in the state (with a
                    // warning) instead of dropping it; pulumi destroy needs no API (the app is deletedWith
                    // the first control plane).
                    skipUpdateUnreachable: true,
                },
                { parent: this, dependsOn: [this.cni, ...this.memberships] },
            );

        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
