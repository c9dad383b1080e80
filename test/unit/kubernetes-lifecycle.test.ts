// A Kubernetes lab over its life: settings it cannot change in place, destroy with the first
// control plane gone, refresh from an address the lab does not admit, a rebuilt first control plane,
// the API unreachable from this machine.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { changedSettingsProblem, FixedSettings, settingsGuard } from "../../components/kubernetes/settings-guard";
import type { KubernetesConfig } from "../../components/kubernetes/config";
import { apiAnswers } from "../../components/kubernetes/endpoint";
import type { CommonConfig } from "../../components/config/common";
import { operatorNetwork } from "../../components/operator-network";
import { asPreview, COMMAND, outcome, probedPorts, recorder, runLab, settled } from "../harness";

const K8S = { orchestrator: "kubernetes" };
const BUILT: FixedSettings = { cni: "calico", podCidr: "192.168.0.0/16", managers: "1" };

describe("settings a running cluster cannot take in place (lab:cni, lab:podCidr, lab:managers)", () => {
    it("names each changed key, what it was, why, and how to set it back or rebuild", () => {
        expect(changedSettingsProblem(undefined, BUILT)).toBeUndefined();
        expect(changedSettingsProblem(BUILT, BUILT)).toBeUndefined();
        const problem = changedSettingsProblem(BUILT, { cni: "flannel", podCidr: "10.244.0.0/16", managers: "3" })!;
        expect(problem).toContain(
            'lab:cni was "calico" when this lab was built and is now "flannel": a second CNI would be layered on the first',
        );
        expect(problem).toContain('lab:podCidr was "192.168.0.0/16" when this lab was built and is now "10.244.0.0/16"');
        expect(problem).toContain(
            'lab:managers was "1" when this lab was built and is now "3": one control plane and three have different API endpoints',
        );
        expect(problem).toContain(
            "Set them back (pulumi config set lab:cni calico && pulumi config set lab:podCidr 192.168.0.0/16 && pulumi config set lab:managers 1), " +
                "or rebuild the lab with the new ones: pulumi destroy, then pulumi up.",
        );
    });

    it("keeps the first run's settings in a pulumi.Stash and fails with a RunError when they changed", async () => {
        const config = { cni: "flannel", podCidr: "10.244.0.0/16", managers: 1 } as KubernetesConfig;
        recorder.override = (args) =>
            args.type === "pulumi:index:Stash" ? { state: { input: args.inputs.input, output: BUILT } } : undefined;
        try {
            const changed = await outcome(settingsGuard(config));
            expect(changed.error).toBeInstanceOf(pulumi.RunError);
            expect(changed.error!.message).toContain('lab:cni was "calico" when this lab was built and is now "flannel"');

            recorder.override = (args) =>
                args.type === "pulumi:index:Stash" ? { state: { input: args.inputs.input, output: args.inputs.input } } : undefined;
            expect(await outcome(settingsGuard({ ...config, cni: "calico" } as KubernetesConfig))).toEqual({ value: [] });
        } finally {
            recorder.override = undefined;
            await settled();
        }
    });

    it("makes the network, and so every AWS resource under it, wait for the check", async () => {
        const run = await runLab({ ...K8S, cni: "flannel" });
        const stash = run.byName("kubernetes-settings");
        expect(stash.inputs.input).toEqual({ cni: "flannel", podCidr: "10.244.0.0/16", managers: "1" });
        const network = run.ofType("cluster-lab:network:LabNetwork")[0];
        expect(network.dependencies).toContain(stash.urn);
        // Its children (the VPC, the security group, ...) register only once it has, after the check.
        expect(run.byName("lab-nodes").urn).toContain("cluster-lab:network:LabNetwork$aws:ec2/securityGroup:SecurityGroup");
        // Swarm labs keep no such settings.
        expect((await runLab({})).resources.filter((r) => r.name === "kubernetes-settings")).toEqual([]);
    });
});

describe("pulumi destroy with k8s-cp1 already gone", () => {
    it("needs no API and no SSH: what would use them is deletedWith the first control plane", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2" });
        const cp1 = run.byName("k8s-cp1").urn;
        const hooked = run.ofType(COMMAND).filter((c) => c.inputs.delete !== undefined);
        expect(hooked.map((c) => c.name).sort()).toEqual([
            "k8s-cp2-membership",
            "k8s-cp3-membership",
            "k8s-w1-membership",
            "k8s-w2-membership",
        ]);
        for (const command of hooked) expect(command.options.deletedWith, command.name).toBe(cp1);
        const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(objects.map((o) => o.name).sort()).toEqual(["app-namespace", "app-nginx", "app-nginx-nodeport"]);
        for (const object of objects) expect(object.options.deletedWith, object.name).toBe(cp1);
    });
});

describe("pulumi refresh from an address the lab does not admit (6443 closed)", () => {
    it("keeps the app's objects in the state: no deleteUnreachable, and unreachable means skip with a warning", async () => {
        const provider = (await runLab(K8S)).byName("kubeadm-provider").inputs;
        expect(provider.deleteUnreachable).toBeUndefined();
        expect(provider.skipUpdateUnreachable).toBe("true");
    });
});

describe("a replaced first control plane is a new cluster", () => {
    it("redoes init, the CNI, the kubeconfig and every join, and creates the app's objects in it anew", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "1" });
        const cp1 = run.byName("k8s-cp1").urn;
        for (const name of ["kubeadm-init", "kubeadm-cni", "kubeadm-kubeconfig", "app-namespace", "app-nginx", "app-nginx-nodeport"]) {
            expect(run.byName(name).options.replaceWith, name).toEqual([cp1]);
        }
        for (const node of ["k8s-cp2", "k8s-w1"]) {
            for (const step of ["join-command", "join", "membership"]) {
                expect(run.byName(`${node}-${step}`).options.replaceWith.sort()).toEqual([run.byName(node).urn, cp1].sort());
            }
        }
    });
});

describe("the API unreachable from this machine (a network that blocks 6443, a load balancer not yet serving)", () => {
    it("waits for the API at the operator's endpoint before the provider talks to it, and not during a preview or without the app", async () => {
        probedPorts.length = 0;
        const single = await runLab(K8S);
        expect(probedPorts.filter((p) => p.endsWith(":6443"))).toEqual([`${single.byName("k8s-cp1-address").state.publicIp}:6443`]);
        probedPorts.length = 0;
        await runLab({ ...K8S, managers: "3" });
        expect(probedPorts.filter((p) => p.endsWith(":6443"))).toEqual(["k8s-api-nlb-0123.elb.ap-northeast-2.amazonaws.com:6443"]);
        probedPorts.length = 0;
        await asPreview(() => runLab(K8S));
        await runLab({ ...K8S, sampleApp: "false" });
        expect(probedPorts.filter((p) => p.endsWith(":6443"))).toEqual([]);
    });

    it("fails with a RunError naming the endpoint, this machine, lab:allowedCidr and what to do", async () => {
        const probe = operatorNetwork.waitForPort;
        operatorNetwork.waitForPort = async () => {
            throw new Error("timed out");
        };
        const config = { allowedCidrs: ["198.51.100.0/24"], operatorAddress: "198.51.100.7" } as CommonConfig;
        try {
            const failed = apiAnswers("192.0.2.10", config);
            await expect(failed).rejects.toBeInstanceOf(pulumi.RunError);
            await expect(failed).rejects.toThrow(
                "The Kubernetes API at https://192.0.2.10:6443 did not answer within 5 minutes from this machine's address 198.51.100.7, " +
                    "which lab:allowedCidr (198.51.100.0/24) admits, so the sample app cannot be deployed. The cluster is formed " +
                    '(scripts/operator/lab.sh ssh k8s-cp1 kubectl get nodes). If your address changed, set lab:allowedCidr to include it ("auto" looks it up); ' +
                    "if your network blocks outgoing port 6443 (some corporate and campus networks do), run pulumi up from another one; then run pulumi up again.",
            );
            await expect(apiAnswers("192.0.2.10", { ...config, operatorAddress: undefined })).rejects.toThrow(
                "from this machine, whose address could not be looked up (lab:allowedCidr is 198.51.100.0/24)",
            );
            await expect(asPreview(() => apiAnswers("192.0.2.10", config))).resolves.toBeUndefined();
        } finally {
            operatorNetwork.waitForPort = probe;
        }
    });
});
