import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { stringify } from "yaml";
import { LabConfig, Orchestrator, OsName } from "./config";
import { CNI_NETWORKING } from "./network";
import { NodeConnection, nodeCommand, readScript } from "./remote";
import { Tags } from "./tags";

export type NodeRole = "manager" | "worker";

export interface NodeSpec {
    /** Hostname, EC2 Name tag suffix and Pulumi resource name: swarm-manager1, swarm-worker2, ... */
    name: string;
    role: NodeRole;
}

export interface LabNode extends NodeSpec {
    instance: aws.ec2.Instance;
    connection: NodeConnection;
    /** Readiness gate: every command on this node depends on it. */
    gate: command.remote.Command;
}

/** The default login user of each image, as its cloud-init sets it up on EC2. */
export const OS_IMAGES: Record<OsName, { user: string; owner: string; namePattern: (arch: string) => string }> = {
    "debian-12": { user: "admin", owner: "136693071363", namePattern: (arch) => `debian-12-${arch}-*` },
    "ubuntu-24.04": {
        user: "ubuntu", owner: "099720109477",
        namePattern: (arch) => `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === "arm64" ? "arm64" : "amd64"}-server-*`,
    },
};

/** Graviton families (t4g, m7g, c6gn, ...) need arm64 images. */
export function architectureOf(instanceType: string): "amd64" | "arm64" {
    return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "amd64";
}

/** Node names per orchestrator: a "manager" is a Kubernetes control plane. */
const NODE_NAMES: Record<Orchestrator, Record<NodeRole, string>> = {
    swarm: { manager: "swarm-manager", worker: "swarm-worker" },
    kubernetes: { manager: "k8s-cp", worker: "k8s-w" },
};

export function planNodes(config: LabConfig): NodeSpec[] {
    const names = NODE_NAMES[config.orchestrator];
    return [
        ...Array.from({ length: config.managers }, (_, i) => ({ name: `${names.manager}${i + 1}`, role: "manager" as const })),
        ...Array.from({ length: config.workers }, (_, i) => ({ name: `${names.worker}${i + 1}`, role: "worker" as const })),
    ];
}

/** The role as the orchestrator calls it, for tags and outputs. */
export function roleName(orchestrator: Orchestrator, role: NodeRole): string {
    return orchestrator === "kubernetes" && role === "manager" ? "control-plane" : role;
}

/** The first-boot install per orchestrator: the script and the variables it runs with. */
function engineInstall(config: LabConfig): { script: string; env: string[]; engine: "docker" | "containerd" } {
    if (config.orchestrator === "kubernetes") {
        return { script: "k8s-install.sh", env: [`KUBERNETES_VERSION=${config.kubernetesVersion}`], engine: "containerd" };
    }
    return { script: "install-docker.sh", env: [], engine: "docker" };
}

/** cloud-init user data: set the hostname and install the engine at first boot, on all nodes at once. */
export function userData(node: NodeSpec, config: LabConfig): string {
    const install = engineInstall(config);
    const file = `/opt/cluster-lab/${install.script}`;
    return "#cloud-config\n" + stringify({
        hostname: node.name,
        preserve_hostname: false,
        // The lab writes its own block into /etc/hosts; cloud-init must not rewrite the file.
        manage_etc_hosts: false,
        write_files: [{ path: file, permissions: "0755", content: readScript(install.script) }],
        runcmd: [install.env.length > 0 ? ["env", ...install.env, file] : [file]],
    });
}

export interface LabNodesArgs {
    config: LabConfig;
    subnetId: pulumi.Input<string>;
    securityGroupId: pulumi.Input<string>;
    tags: Tags;
}

/** Key pair, AMI lookup, one EC2 instance per node and its readiness gate. */
export class LabNodes extends pulumi.ComponentResource {
    readonly nodes: LabNode[];
    /** The generated SSH private key (OpenSSH format); undefined when lab:sshPublicKey is set. */
    readonly privateKey?: pulumi.Output<string>;

    constructor(name: string, args: LabNodesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:nodes:LabNodes", name, {}, opts);
        const { config, tags } = args;
        const image = OS_IMAGES[config.os];
        const arch = architectureOf(config.instanceType);
        const kubernetes = config.orchestrator === "kubernetes";
        const engine = engineInstall(config).engine;

        let publicKey: pulumi.Input<string>;
        if (config.sshPublicKey) {
            publicKey = config.sshPublicKey;
        } else {
            const key = new tls.PrivateKey(`${name}-ssh`, { algorithm: "ED25519" }, { parent: this });
            publicKey = key.publicKeyOpenssh;
            this.privateKey = pulumi.secret(key.privateKeyOpenssh);
        }
        const keyPair = new aws.ec2.KeyPair(`${name}-key`, { publicKey, tags }, { parent: this });

        const ami = aws.ec2.getAmiOutput({
            owners: [image.owner],
            mostRecent: true,
            filters: [
                { name: "name", values: [image.namePattern(arch)] },
                { name: "architecture", values: [arch === "arm64" ? "arm64" : "x86_64"] },
                { name: "virtualization-type", values: ["hvm"] },
            ],
        }, { parent: this });

        this.nodes = planNodes(config).map((spec) => {
            const instance = new aws.ec2.Instance(spec.name, {
                ami: ami.id,
                instanceType: config.instanceType,
                subnetId: args.subnetId,
                vpcSecurityGroupIds: [args.securityGroupId],
                keyName: keyPair.keyName,
                userData: userData(spec, config),
                userDataReplaceOnChange: true,
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { volumeType: "gp3", volumeSize: 16, encrypted: true, deleteOnTermination: true },
                instanceMarketOptions: config.spot
                    ? { marketType: "spot", spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" } }
                    : undefined,
                sourceDestCheck: kubernetes && !CNI_NETWORKING[config.cni].sourceDestCheck ? false : undefined,
                tags: { ...tags, Name: `${config.labName}-${spec.name}`, Role: roleName(config.orchestrator, spec.role) },
            }, { parent: this });

            const connection: NodeConnection = { host: instance.publicIp, user: image.user, privateKey: this.privateKey };
            // "running" is not SSH-ready: the gate's dial retries cover the boot (about 8 minutes at the least).
            const gate = nodeCommand(`${spec.name}-gate`, {
                node: spec.name, step: "gate", connection, script: "wait-ready.sh",
                env: { ENGINE: engine }, dialErrorLimit: 100,
            }, { parent: this, dependsOn: [instance] });
            return { ...spec, instance, connection, gate };
        });

        this.registerOutputs({ nodes: this.nodes.map((n) => n.instance.id) });
    }
}
