// Key pair, AMI lookup, one EC2 instance per node, cloud-init user data and the readiness gate.
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { gzipSync, strToU8 } from "fflate";
import { stringify } from "yaml";
import type { CommonConfig } from "./config/common";
import { architectureOf, OS_IMAGES } from "./images";
import { fromThisMachine, operatorNetwork } from "./operator-network";
import type { FirstBoot, OrchestratorLab } from "./orchestrator";
import { NODE_SCRIPTS, NodeConnection, nodeCommand, renderScript, scriptIn } from "./remote";
import { Tags } from "./tags";
import { DIALS, SSH_PORT_TIMEOUT_MS, waits } from "./timeouts";

export type NodeRole = "manager" | "worker";

export interface NodeSpec {
    /** Hostname, EC2 Name tag suffix and Pulumi resource name: swarm-manager1, k8s-w2, ... */
    name: string;
    role: NodeRole;
}

export interface LabNode extends NodeSpec {
    instance: aws.ec2.Instance;
    /** The node's SSH host key (public half, authorized_keys format). */
    hostKey: pulumi.Output<string>;
    /** The address the operator reaches: the instance's public IP, or its Elastic IP (OrchestratorLab.staticAddress). */
    publicIp: pulumi.Output<string>;
    connection: NodeConnection;
    /** The steps that make the node ready for cluster commands: its gate, then its hosts block. */
    ready: pulumi.Resource[];
}

/** Node names: <prefix of the role><n>, managers first. */
export function planNodes(prefixes: Record<NodeRole, string>, managers: number, workers: number): NodeSpec[] {
    return [
        ...Array.from({ length: managers }, (_, i) => ({ name: `${prefixes.manager}${i + 1}`, role: "manager" as const })),
        ...Array.from({ length: workers }, (_, i) => ({ name: `${prefixes.worker}${i + 1}`, role: "worker" as const })),
    ];
}

/** Where cloud-init writes the first-boot install on the node (the gate's recovery hint names it). */
export const firstBootPath = (firstBoot: FirstBoot) => `/opt/cluster-lab/${firstBoot.script.name}`;

/** The node's SSH host key, made by the program so that every connection can check it. */
export interface HostKey {
    privateKeyOpenssh: pulumi.Input<string>;
    publicKeyOpenssh: pulumi.Input<string>;
}

/** EC2 refuses user data over 16 KiB, counted before base64 (RunInstances; the provider checks it too). */
export const USER_DATA_LIMIT = 16_384;

/**
 * The user data as EC2 receives it: gzip, then base64 (cloud-init inflates gzip on every datasource).
 * A Kubernetes node's cloud-config is over the limit as text. fflate is plain JavaScript: the same
 * text gives the same bytes on every machine and Node version, where Node's zlib may not, and any
 * other byte would replace every node (userDataReplaceOnChange) when the operator changes laptops.
 */
export function packUserData(node: string, cloudConfig: string): string {
    const packed = gzipSync(strToU8(cloudConfig), { level: 9, mtime: 0 });
    if (packed.length > USER_DATA_LIMIT) {
        throw new pulumi.RunError(
            `${node}: its user data is ${packed.length} bytes gzipped (${cloudConfig.length} as text); EC2 takes at most ${USER_DATA_LIMIT}`,
        );
    }
    return Buffer.from(packed).toString("base64");
}

/**
 * The cloud-config: the hostname, the SSH host key the program made (and no other), and the
 * first-boot install, run on all nodes at once. It holds the host's private key.
 */
export function cloudConfig(node: NodeSpec, firstBoot: FirstBoot, loginUser: string, hostKey: HostKey): pulumi.Output<string> {
    const file = firstBootPath(firstBoot);
    const script = renderScript(firstBoot.script, {
        LAB_NODE: node.name,
        LAB_STEP: "first-boot",
        LOGIN_USER: loginUser,
        ...firstBoot.env,
        ...waits("APT_LOCK_TIMEOUT", "APT_ATTEMPTS"),
    });
    const expire = renderScript(EXPIRE_SCRIPT, { LAB_NODE: node.name, LAB_STEP: "expiry" });
    return pulumi.all([script, expire, hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh]).apply(
        ([install, expiry, hostPrivate, hostPublic]) =>
            "#cloud-config\n" +
            stringify({
                hostname: node.name,
                preserve_hostname: false,
                // The lab writes its own block into /etc/hosts; cloud-init must not rewrite the file.
                manage_etc_hosts: false,
                // The image's host keys go; the one the program knows is the only one the node presents.
                ssh_deletekeys: true,
                ssh_genkeytypes: [],
                ssh_keys: { ed25519_private: hostPrivate, ed25519_public: hostPublic.trim() },
                write_files: [
                    { path: file, permissions: "0700", content: install },
                    { path: EXPIRE_PATH, permissions: "0700", content: expiry },
                    ...EXPIRY_UNITS,
                ],
                // The expiry first: a node whose install fails still powers off at its expiry.
                runcmd: [
                    ["systemctl", "enable", "--now", "cluster-lab-expiry.timer"],
                    ["bash", file],
                ],
            }),
    );
}

/** The instance's userDataBase64: the packed cloud-config, a secret. */
export function userData(node: NodeSpec, firstBoot: FirstBoot, loginUser: string, hostKey: HostKey): pulumi.Output<string> {
    return pulumi.secret(cloudConfig(node, firstBoot, loginUser, hostKey).apply((text) => packUserData(node.name, text)));
}

const EXPIRE_SCRIPT = scriptIn(NODE_SCRIPTS, "expire.sh");
const EXPIRE_PATH = "/opt/cluster-lab/expire.sh";

/** Every minute, expire.sh reads the instance's ExpiresAt tag and powers the node off once it has passed. */
const EXPIRY_UNITS = [
    {
        path: "/etc/systemd/system/cluster-lab-expiry.service",
        content: `[Unit]\nDescription=Power off once the lab's ExpiresAt tag has passed\n\n[Service]\nType=oneshot\nExecStart=/bin/bash ${EXPIRE_PATH}\n`,
    },
    {
        path: "/etc/systemd/system/cluster-lab-expiry.timer",
        content:
            "[Unit]\nDescription=Check the lab's expiry every minute\n\n[Timer]\nOnBootSec=30s\nOnUnitActiveSec=60s\nAccuracySec=5s\n\n" +
            "[Install]\nWantedBy=timers.target\n",
    },
];

/** Why port 22 of a node never answered, naming what the operator can change. */
export function unreachableMessage(node: string, ip: string, config: CommonConfig): string {
    const from = fromThisMachine(config);
    return (
        `${node} (${ip}): port 22 did not answer within ${SSH_PORT_TIMEOUT_MS / 60_000} minutes from ${from}. ` +
        'If your address changed, set lab:allowedCidr to include it ("auto" looks it up) and run pulumi up again; ' +
        "otherwise the instance did not boot: read its console output (aws ec2 get-console-output --latest --instance-id <id>)."
    );
}

/** The node's address once its port 22 answers; a RunError naming lab:allowedCidr when it never does. */
export async function reachableAddress(node: string, ip: string, config: CommonConfig): Promise<string> {
    // The CLI previews before every update, with the instance's address known from state, while the
    // security group still has the old allowedCidr: a preview plans, it never waits on the world.
    if (pulumi.runtime.isDryRun()) return ip;
    try {
        await operatorNetwork.waitForPort(ip, 22, SSH_PORT_TIMEOUT_MS);
    } catch {
        throw new pulumi.RunError(unreachableMessage(node, ip, config));
    }
    return ip;
}

export interface LabNodesArgs {
    lab: OrchestratorLab;
    subnetId: pulumi.Input<string>;
    securityGroupId: pulumi.Input<string>;
    /** Instances wait for the route to the internet (see LabNetwork.internetRoute). */
    internetRoute: pulumi.Resource[];
    tags: Tags;
}

export class LabNodes extends pulumi.ComponentResource {
    readonly nodes: (LabNode & { gate: command.remote.Command })[];
    /** The generated SSH private key (OpenSSH format); undefined when lab:sshPublicKey is set. */
    readonly privateKey?: pulumi.Output<string>;

    constructor(name: string, args: LabNodesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:nodes:LabNodes", name, {}, opts);
        const { lab, tags } = args;
        const { config, firstBoot } = lab;
        const image = OS_IMAGES[config.os];
        const archOf = (role: NodeRole) => architectureOf(lab.instanceType(role));
        const arch = archOf("manager");
        if (archOf("worker") !== arch) {
            throw new pulumi.RunError(
                `managers (${lab.instanceType("manager")}) and workers (${lab.instanceType("worker")}) need one architecture`,
            );
        }

        let publicKey: pulumi.Input<string>;
        if (config.sshPublicKey) {
            publicKey = config.sshPublicKey;
        } else {
            const key = new tls.PrivateKey(`${name}-ssh`, { algorithm: "ED25519" }, { parent: this });
            publicKey = key.publicKeyOpenssh;
            this.privateKey = pulumi.secret(key.privateKeyOpenssh);
        }
        const keyPair = new aws.ec2.KeyPair(`${name}-key`, { publicKey, tags }, { parent: this });

        const ami = aws.ec2.getAmiOutput(
            {
                owners: [image.owner],
                mostRecent: true,
                filters: [
                    { name: "name", values: [image.namePattern(arch)] },
                    { name: "architecture", values: [arch === "arm64" ? "arm64" : "x86_64"] },
                    { name: "virtualization-type", values: ["hvm"] },
                ],
            },
            { parent: this },
        );

        this.nodes = lab.nodes.map((spec) => {
            const hostKey = new tls.PrivateKey(`${spec.name}-host-key`, { algorithm: "ED25519" }, { parent: this });
            // The newest image when the node was first made, kept through its replacements: a running lab
            // is not rebuilt because one was published. Replacing the stash moves the node to the newest;
            // its name holds the OS and architecture, so that a change of either looks the image up anew.
            const pinnedImage = new pulumi.Stash(`${spec.name}-image-${config.os}-${arch}`, { input: ami.id }, { parent: this });
            const instance = new aws.ec2.Instance(
                spec.name,
                {
                    ami: pinnedImage.output as pulumi.Output<string>,
                    instanceType: lab.instanceType(spec.role),
                    subnetId: args.subnetId,
                    vpcSecurityGroupIds: [args.securityGroupId],
                    keyName: keyPair.keyName,
                    userDataBase64: userData(spec, firstBoot, image.user, hostKey),
                    userDataReplaceOnChange: true,
                    // The node reads its own ExpiresAt tag (expire.sh); containers cannot reach the metadata (hop limit 1).
                    metadataOptions: {
                        httpTokens: "required",
                        httpEndpoint: "enabled",
                        httpPutResponseHopLimit: 1,
                        instanceMetadataTags: "enabled",
                    },
                    // A node that powers itself off at its expiry is terminated: the bill stops.
                    instanceInitiatedShutdownBehavior: "terminate",
                    rootBlockDevice: { volumeType: "gp3", volumeSize: 16, encrypted: true, deleteOnTermination: true },
                    instanceMarketOptions: config.spot
                        ? { marketType: "spot", spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" } }
                        : undefined,
                    sourceDestCheck: lab.sourceDestCheck ? undefined : false,
                    tags: {
                        ...tags,
                        Name: `${config.labName}-${spec.name}`,
                        Role: lab.roleName(spec.role),
                        ...(config.spot ? { Market: "spot" } : {}),
                    },
                },
                {
                    parent: this,
                    dependsOn: args.internetRoute,
                    // instanceMarketOptions is Optional+Computed: left out (lab:spot false) it keeps the spot
                    // market, with no diff. The tag makes that change a replacement, as spot on is.
                    replaceOnChanges: ["tags.Market"],
                },
            );

            const publicIp = lab.staticAddress(spec.role)
                ? new aws.ec2.Eip(
                      `${spec.name}-address`,
                      { domain: "vpc", instance: instance.id, tags: { ...tags, Name: `${config.labName}-${spec.name}` } },
                      { parent: this, dependsOn: args.internetRoute },
                  ).publicIp
                : instance.publicIp;
            const connection: NodeConnection = {
                host: publicIp,
                user: image.user,
                privateKey: this.privateKey,
                hostKey: hostKey.publicKeyOpenssh.apply((key) => key.trim()),
            };
            // "running" is not SSH-ready. The gate dials only once port 22 answers, so that a security
            // group that drops this machine fails in minutes, naming lab:allowedCidr, not after 100 dials.
            const reachableHost = publicIp.apply((ip) => reachableAddress(spec.name, ip, config));
            const gate = nodeCommand(
                `${spec.name}-gate`,
                {
                    node: spec.name,
                    step: "gate",
                    connection: { ...connection, host: reachableHost },
                    script: scriptIn(NODE_SCRIPTS, "wait-ready.sh"),
                    env: { ENGINE: firstBoot.engine, INSTALL_SCRIPT: firstBootPath(firstBoot), ...waits("READY_TIMEOUT") },
                    dialErrorLimit: DIALS.gate,
                },
                { parent: this, dependsOn: [instance] },
            );
            return {
                ...spec,
                instance,
                publicIp,
                hostKey: hostKey.publicKeyOpenssh.apply((key) => key.trim()),
                connection,
                gate,
                ready: [gate],
            };
        });

        this.registerOutputs({ nodes: this.nodes.map((n) => n.instance.id) });
    }
}
