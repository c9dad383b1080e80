// Instances and their readiness gate under Pulumi mocks: image, first boot, tags, the route, the
// operator's key, and the gate that dials only once port 22 answers.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseLabConfig } from "../../components/config";
import { K8S_SCRIPTS } from "../../components/kubernetes/node-scripts";
import { NODE_SCRIPTS, scriptIn } from "../../components/remote";
import { asPreview, cloudConfigOf, COMMAND, exported, INSTANCE, isSecretValue, LabRun, names, recorder, runLab, stdinOf } from "../harness";
import { ENV, raw } from "../support/config";
import { secondRunSteps } from "../support/second-run";

const K8S = { orchestrator: "kubernetes" };
/** A real ed25519 public key: the operator's own, whose private half ssh-agent would hold. */
const OPERATOR_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKbK8MuX4kv/MZBUh7CR8Yd4aUey6qjydCUre+WTd7J me@laptop";

describe("instances", () => {
    it("builds instances with IMDSv2, encrypted gp3, lab tags and spot only when asked", async () => {
        const onDemand = await runLab({ ttlHours: "4" });
        const spot = await runLab({ spot: "true", ttlHours: "0" });
        for (const instance of onDemand.ofType(INSTANCE)) {
            expect(instance.inputs.metadataOptions.httpTokens).toBe("required");
            expect(instance.inputs.rootBlockDevice).toMatchObject({ volumeType: "gp3", encrypted: true, deleteOnTermination: true });
            expect(instance.inputs.tags).toMatchObject({ Lab: "dev", ExpiresAt: "2026-11-22T12:00:00Z" });
            expect(instance.inputs.tags.Role).toBe(instance.name.includes("manager") ? "manager" : "worker");
            expect(instance.inputs.instanceMarketOptions).toBeUndefined();
            expect(cloudConfigOf(instance)).toMatch(/^#cloud-config\n/);
            expect(cloudConfigOf(instance)).toContain(`hostname: ${instance.name}`);
            expect(cloudConfigOf(instance)).toContain("missing+=(docker.io apparmor)");
            expect(cloudConfigOf(instance)).toContain("export LOGIN_USER='admin'");
            expect(cloudConfigOf(instance)).toContain("DPkg::Lock::Timeout");
        }
        expect(onDemand.outputs.expiresAt.value).toBe("2026-11-22T12:00:00Z");
        // Creation time (kept in state by time.Static) + ttl.
        expect(onDemand.byName("created").type).toBe("time:index/static:Static");
        expect((await runLab({ ttl: "90m" })).outputs.expiresAt.value).toBe("2026-11-22T09:30:00Z");
        for (const instance of spot.ofType(INSTANCE)) {
            expect(instance.inputs.instanceMarketOptions.marketType).toBe("spot");
            expect(instance.inputs.tags.ExpiresAt).toBe("never");
        }
        expect(spot.outputs.expiresAt.value).toBeUndefined();
        expect(spot.resources.some((r) => r.name === "created")).toBe(false);
    });

    it("looks the AMI up for the OS and uses the image's login user", async () => {
        const ubuntu = await runLab({ os: "ubuntu-24.04" });
        expect(ubuntu.outputs.sshCommands.value[0]).toMatch(/^ssh -i dev\.pem ubuntu@203\.0\.113\.\d+$/);
        const gate = ubuntu.byName("swarm-manager1-gate");
        expect(gate.inputs.connection.user).toBe("ubuntu");
        const debian = await runLab();
        expect(debian.byName("swarm-manager1-gate").inputs.connection.user).toBe("admin");
    });

    it("installs containerd and kubeadm in cloud-init, gates on containerd, and turns the source/dest check off for Calico only", async () => {
        const calico = await runLab({ ...K8S, kubernetesVersion: "1.35" });
        for (const instance of calico.ofType(INSTANCE)) {
            const cloudConfig = parse(cloudConfigOf(instance).replace(/^#cloud-config\n/, ""));
            expect(cloudConfig.hostname).toBe(instance.name);
            expect(cloudConfig.write_files[0]).toMatchObject({ path: "/opt/cluster-lab/k8s-install.sh", permissions: "0700" });
            // The install as every node script is sent: prelude, variables, then the file itself.
            const script = cloudConfig.write_files[0].content;
            expect(script.endsWith(readFileSync(K8S_SCRIPTS.install.path, "utf8"))).toBe(true);
            expect(exported(script, "KUBERNETES_VERSION")).toBe("1.35");
            expect(exported(script, "LAB_NODE")).toBe(instance.name);
            expect(cloudConfig.runcmd).toEqual([
                ["systemctl", "enable", "--now", "cluster-lab-expiry.timer"],
                ["bash", "/opt/cluster-lab/k8s-install.sh"],
            ]);
            expect(instance.inputs.sourceDestCheck).toBe(false);
            expect(exported(stdinOf(calico, `${instance.name}-gate`), "ENGINE")).toBe("containerd");
        }
        const flannel = await runLab({ ...K8S, cni: "flannel" });
        for (const instance of flannel.ofType(INSTANCE)) expect(instance.inputs.sourceDestCheck).toBeUndefined();
        const swarm = await runLab();
        for (const instance of swarm.ofType(INSTANCE)) {
            expect(instance.inputs.sourceDestCheck).toBeUndefined();
            expect(cloudConfigOf(instance)).toContain("install-docker.sh");
        }
    });

    it("makes instances wait for the internet route", async () => {
        const run = await runLab();
        const route = run.byName("lab-public-routes").urn;
        for (const instance of run.ofType(INSTANCE)) {
            expect(instance.dependencies).toContain(route);
            expect(instance.dependencies).toContain(run.byName("lab-routes").urn);
        }
    });
});

describe("the image a node boots, over the lab's life (each second run planned by the local engine's rules)", () => {
    const STASH = "pulumi:index:Stash";
    const NODES = ["swarm-manager1", "swarm-worker1", "swarm-worker2"];
    const imageStashes = (run: LabRun) => names(run, STASH).filter((n) => n.includes("-image-"));
    const AMI = { first: "ami-0aaaaaaaaaaaaaaa1", newer: "ami-0bbbbbbbbbbbbbbb2", arm: "ami-0ccccccccccccccc3" };
    /** DescribeImages' newest match: `newest` for x86_64, an arm64 image for arm64. */
    const newestImage = (newest: string) => (args: pulumi.runtime.MockCallArgs) => {
        if (args.token !== "aws:ec2/getAmi:getAmi") return undefined;
        const arch = (args.inputs.filters as { name: string; values: string[] }[]).find((f) => f.name === "architecture")?.values[0];
        return { id: arch === "arm64" ? AMI.arm : newest, architecture: arch };
    };
    /** Stashes as the engine keeps them: a stash of the first run keeps its output unless replaced. */
    const stashesOf = (first: LabRun, replaced: string[] = []) => {
        const kept = new Map(first.ofType(STASH).map((r) => [r.name, r.state.output]));
        return (args: pulumi.runtime.MockResourceArgs) =>
            args.type === STASH
                ? {
                      state: {
                          input: args.inputs.input,
                          output: kept.has(args.name) && !replaced.includes(args.name) ? kept.get(args.name) : args.inputs.input,
                      },
                  }
                : undefined;
    };
    async function twoRuns(second: { lab?: Record<string, string>; newest: string; replaced?: string[] }) {
        recorder.call = newestImage(AMI.first);
        const first = await runLab();
        recorder.call = newestImage(second.newest);
        try {
            const next = await runLab(second.lab, stashesOf(first, second.replaced));
            return { first, next };
        } finally {
            recorder.call = undefined;
        }
    }
    /** The engine's step for each instance of the second run, and the AMI it gets. */
    const instanceSteps = (first: LabRun, next: LabRun, replaceTargets: string[] = []) =>
        Object.fromEntries(
            Object.entries(secondRunSteps(first, next, INSTANCE, replaceTargets)).map(([name, step]) => [
                name,
                { op: step.op, ami: step.inputs.ami },
            ]),
        );

    it("replaces the nodes when lab:spot goes from true to false (instanceMarketOptions alone would change nothing)", async () => {
        const spot = await runLab({ spot: "true" });
        const onDemand = await runLab({ spot: "false" });
        for (const step of Object.values(secondRunSteps(spot, onDemand, INSTANCE))) {
            expect(step.op).toBe("replace");
            expect(step.inputs.instanceMarketOptions).toBeUndefined();
        }
        for (const step of Object.values(secondRunSteps(onDemand, spot, INSTANCE))) expect(step.op).toBe("replace");
        // Another tag's change (ExpiresAt, with lab:ttlHours) stays an update in place.
        for (const step of Object.values(secondRunSteps(spot, await runLab({ spot: "true", ttlHours: "2" }), INSTANCE)))
            expect(step.op).toBe("update");
    });

    it("keeps a running node on its image when a newer one is published", async () => {
        const { first, next } = await twoRuns({ newest: AMI.newer });
        expect(first.byName("swarm-worker1").inputs.ami).toBe(AMI.first);
        expect(instanceSteps(first, next)).toEqual({
            "swarm-manager1": { op: "same", ami: AMI.first },
            "swarm-worker1": { op: "same", ami: AMI.first },
            "swarm-worker2": { op: "same", ami: AMI.first },
        });
    });

    it("keeps its image through a replacement of the instance (pulumi up --replace <instance>)", async () => {
        const { first, next } = await twoRuns({ newest: AMI.newer });
        expect(instanceSteps(first, next, ["swarm-worker1"])["swarm-worker1"]).toEqual({ op: "replace", ami: AMI.first });
    });

    it("moves one node to the newest image when its image stash is replaced", async () => {
        const { first, next } = await twoRuns({ newest: AMI.newer, replaced: ["swarm-worker1-image-debian-12-amd64"] });
        expect(imageStashes(first)).toEqual(NODES.map((n) => `${n}-image-debian-12-amd64`));
        expect(instanceSteps(first, next)).toEqual({
            "swarm-manager1": { op: "same", ami: AMI.first },
            "swarm-worker1": { op: "replace", ami: AMI.newer },
            "swarm-worker2": { op: "same", ami: AMI.first },
        });
    });

    it("gives every node an image of the new architecture when lab:instanceType moves to Graviton", async () => {
        const { first, next } = await twoRuns({ lab: { instanceType: "t4g.small" }, newest: AMI.newer });
        expect(imageStashes(next)).toEqual(NODES.map((n) => `${n}-image-debian-12-arm64`));
        expect(instanceSteps(first, next)).toEqual(Object.fromEntries(NODES.map((n) => [n, { op: "replace", ami: AMI.arm }])));
    });
});

describe("reaching the nodes", () => {
    it("dials a node only once its port 22 answers, and fails naming allowedCidr when it never does", async () => {
        const { operatorNetwork } = await import("../../components/operator-network.js");
        const { probedPorts } = await import("../harness.js");
        probedPorts.length = 0;
        const run = await runLab();
        const gate = run.byName("swarm-manager1-gate");
        expect(probedPorts).toContain(`${run.byName("swarm-manager1").state.publicIp}:22`);
        expect(gate.inputs.connection.host).toBe(run.byName("swarm-manager1").state.publicIp);
        expect(gate.inputs.connection.dialErrorLimit).toBe(20);
        expect(run.byName("swarm-init").inputs.connection.dialErrorLimit).toBe(10);

        const { reachableAddress } = await import("../../components/nodes.js");
        const config = { ...parseLabConfig(raw({ allowedCidr: "198.51.100.0/24" }), ENV), operatorAddress: "198.51.100.7" };
        const probe = operatorNetwork.waitForPort;
        operatorNetwork.waitForPort = async () => {
            throw new Error("timed out");
        };
        try {
            await expect(reachableAddress("swarm-manager1", "203.0.113.9", config)).rejects.toThrow(
                "swarm-manager1 (203.0.113.9): port 22 did not answer within 8 minutes from this machine's address 198.51.100.7, " +
                    "which lab:allowedCidr (198.51.100.0/24) admits",
            );
            await expect(reachableAddress("swarm-worker1", "203.0.113.9", { ...config, operatorAddress: undefined })).rejects.toThrow(
                "from this machine, whose address could not be looked up (lab:allowedCidr is 198.51.100.0/24)",
            );
        } finally {
            operatorNetwork.waitForPort = probe;
        }
    });

    it("waits for no port during a preview, where the security group may not admit this machine yet", async () => {
        const { probedPorts } = await import("../harness.js");
        probedPorts.length = 0;
        const run = await asPreview(() => runLab({ workers: "1" }));
        expect(pulumi.runtime.isDryRun()).toBe(false);
        expect(probedPorts).toEqual([]);
        expect(run.byName("swarm-worker1-gate").inputs.connection.host).toBe(run.byName("swarm-worker1").state.publicIp);
        await runLab({ workers: "1" });
        expect(probedPorts).toHaveLength(2);
    });

    it("without a generated key, connects through ssh-agent and exports no private key", async () => {
        const before = process.env.SSH_AUTH_SOCK;
        process.env.SSH_AUTH_SOCK = "/tmp/agent.sock";
        try {
            const run = await runLab({ sshPublicKey: OPERATOR_KEY });
            // Only the nodes' host keys: no login key is made.
            expect(names(run, "tls:index/privateKey:PrivateKey")).toEqual([
                "swarm-manager1-host-key",
                "swarm-worker1-host-key",
                "swarm-worker2-host-key",
            ]);
            expect(run.outputs.privateKey.value).toBeUndefined();
            expect(run.byName("lab-key").inputs.publicKey).toBe(OPERATOR_KEY);
            expect(run.byName("swarm-manager1-gate").inputs.connection.privateKey).toBeUndefined();
            expect(run.outputs.sshCommands.value[0]).toMatch(/^ssh admin@/);
        } finally {
            if (before === undefined) delete process.env.SSH_AUTH_SOCK;
            else process.env.SSH_AUTH_SOCK = before;
        }
    });

    it("pins each node's SSH host key: made by the program, given to the node at boot, checked by every connection", async () => {
        const run = await runLab({ workers: "2" });
        for (const instance of run.ofType(INSTANCE)) {
            const hostKey = run.byName(`${instance.name}-host-key`);
            expect(hostKey.inputs.algorithm).toBe("ED25519");
            const cloudConfig = parse(cloudConfigOf(instance).replace(/^#cloud-config\n/, ""));
            expect(cloudConfig.ssh_keys).toEqual({
                ed25519_private: hostKey.state.privateKeyOpenssh,
                ed25519_public: hostKey.state.publicKeyOpenssh.trim(),
            });
            expect(cloudConfig.ssh_deletekeys).toBe(true);
            expect(cloudConfig.ssh_genkeytypes).toEqual([]);
            // The user data holds the host's private key: a secret in state and diffs.
            expect(isSecretValue(instance.rawInputs.userDataBase64)).toBe(true);
        }
        for (const command of run.ofType(COMMAND)) {
            const host = command.inputs.connection.host;
            const node = run.ofType(INSTANCE).find((i) => i.state.publicIp === host)!;
            expect(command.inputs.connection.hostKey, command.name).toBe(run.byName(`${node.name}-host-key`).state.publicKeyOpenssh.trim());
        }
        expect(run.outputs.nodes.value.map((n: { hostKey: string }) => n.hostKey)).toEqual(
            ["swarm-manager1", "swarm-worker1", "swarm-worker2"].map((n) => run.byName(`${n}-host-key`).state.publicKeyOpenssh.trim()),
        );
    });

    it("lets every node expire by itself: it reads its ExpiresAt tag each minute, powers off, and is then terminated", async () => {
        const run = await runLab({ ttl: "2h" });
        for (const instance of run.ofType(INSTANCE)) {
            expect(instance.inputs.instanceInitiatedShutdownBehavior).toBe("terminate");
            expect(instance.inputs.metadataOptions).toMatchObject({
                instanceMetadataTags: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            });
            expect(instance.inputs.tags.ExpiresAt).toBe("2026-11-22T10:00:00Z");
            const cloudConfig = parse(cloudConfigOf(instance).replace(/^#cloud-config\n/, ""));
            const files = Object.fromEntries(cloudConfig.write_files.map((f: { path: string; content: string }) => [f.path, f.content]));
            expect(files["/opt/cluster-lab/expire.sh"].endsWith(readFileSync(scriptIn(NODE_SCRIPTS, "expire.sh").path, "utf8"))).toBe(true);
            expect(files["/etc/systemd/system/cluster-lab-expiry.timer"]).toContain("OnUnitActiveSec=60s");
            expect(files["/etc/systemd/system/cluster-lab-expiry.service"]).toContain("ExecStart=/bin/bash /opt/cluster-lab/expire.sh");
            // Armed before the install, so that a node whose install fails still expires.
            expect(cloudConfig.runcmd[0]).toEqual(["systemctl", "enable", "--now", "cluster-lab-expiry.timer"]);
        }
    });
});
