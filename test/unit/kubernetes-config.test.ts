// The Kubernetes lab's own keys and its rules on the common ones.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { cidrsOverlap } from "../../components/config/cidr";
import { kubernetesClock } from "../../components/kubernetes";
import { DEFAULT_KUBERNETES_MINOR, pastEndOfLife, SUPPORTED_MINORS } from "../../components/kubernetes/versions";
import { recorder, runLab } from "../harness";
import { configError, configOf } from "../support/config";

const K8S = { orchestrator: "kubernetes" };
const SUPPORTED = "choose 1.35 (until 2027-02-28), 1.36 (until 2027-06-28) or 1.37 (until 2027-10-28)";

describe("kubernetes config validation", () => {
    const parseK8s = (values: Record<string, string>) => configOf({ ...K8S, ...values });
    const errorOf = (values: Record<string, string>) => configError(values);

    it("has per-orchestrator defaults: NodePort 30080, Calico with its pod CIDR, the middle supported minor, t3.medium control planes", () => {
        expect(parseK8s({})).toMatchObject({
            orchestrator: "kubernetes",
            managers: 1,
            workers: 2,
            publishedPort: 30080,
            cni: "calico",
            podCidr: "192.168.0.0/16",
            kubernetesVersion: "1.36",
            controlPlaneInstanceType: "t3.medium",
            instanceType: "t3.small",
            loadBalancer: false,
        });
        expect(parseK8s({ cni: "flannel" }).podCidr).toBe("10.244.0.0/16");
        expect(parseK8s({ managers: "3", controlPlaneInstanceType: "m6i.large", publishedPort: "32767" })).toMatchObject({
            managers: 3,
            publishedPort: 32767,
            controlPlaneInstanceType: "m6i.large",
        });
        expect(configOf({ loadBalancer: "true" }, { region: "eu-west-1" })).toMatchObject({
            orchestrator: "swarm",
            publishedPort: 8001,
            loadBalancer: true,
        });
    });

    it("supports the three minors upstream supports on 2026-11-23, each with its end of life, the middle one by default", () => {
        expect(Object.entries(SUPPORTED_MINORS).map(([minor, facts]) => `${minor} ${facts.endOfLife}`)).toEqual([
            "1.35 2027-02-28",
            "1.36 2027-06-28",
            "1.37 2027-10-28",
        ]);
        expect(DEFAULT_KUBERNETES_MINOR).toBe(Object.keys(SUPPORTED_MINORS)[1]);
        for (const minor of Object.keys(SUPPORTED_MINORS)) expect(parseK8s({ kubernetesVersion: minor }).kubernetesVersion).toBe(minor);
        expect(pastEndOfLife("1.35", new Date("2027-02-28T23:00:00Z"))).toBe(false);
        expect(pastEndOfLife("1.35", new Date("2027-03-01T00:00:00Z"))).toBe(true);
    });

    it.each(Array.from({ length: 11 }, (_, i) => `1.${24 + i}`))(
        "refuses %s, past its end of life, naming the supported minors",
        (minor) => {
            expect(errorOf({ ...K8S, kubernetesVersion: minor })).toContain(
                `lab:kubernetesVersion is "${minor}": is past its end of life and gets no more fixes: ${SUPPORTED}`,
            );
        },
    );

    it.each([
        ["1.036", `must be a Kubernetes minor version such as 1.36 (nodes install its latest patch release): ${SUPPORTED}`],
        ["1.99", `is not a Kubernetes release this lab supports: ${SUPPORTED}`],
        ["1.38", `is not a Kubernetes release this lab supports: ${SUPPORTED}`],
        ["1.36.2", "must be a Kubernetes minor version such as 1.36"],
        ["v1.36", "must be a Kubernetes minor version such as 1.36"],
        ["2.0", "must be a Kubernetes minor version such as 1.36"],
        ["1.", "must be a Kubernetes minor version such as 1.36"],
    ])("refuses kubernetesVersion %j", (value, why) => {
        expect(errorOf({ ...K8S, kubernetesVersion: value })).toContain(`lab:kubernetesVersion is ${JSON.stringify(value)}: ${why}`);
    });

    it("warns, without failing, once the chosen minor passes the end of life the table gives it", async () => {
        const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
        const today = kubernetesClock.today;
        try {
            kubernetesClock.today = () => new Date("2027-03-01T00:00:00Z");
            await runLab({ ...K8S, kubernetesVersion: "1.35", workers: "0" });
            expect(warn).toHaveBeenCalledWith(
                expect.stringContaining("lab:kubernetesVersion 1.35 reached its end of life on 2027-02-28: choose a newer minor"),
            );
            warn.mockClear();
            await runLab({ ...K8S, kubernetesVersion: "1.36", workers: "0" });
            expect(warn.mock.calls.filter(([m]) => String(m).includes("end of life"))).toEqual([]);
        } finally {
            kubernetesClock.today = today;
            warn.mockRestore();
        }
    });

    it.each([
        [{ managers: "2" }, 'lab:managers is "2": must be 1 or 3 with lab:orchestrator kubernetes'],
        [{ managers: "5" }, 'lab:managers is "5": must be 1 or 3 with lab:orchestrator kubernetes'],
        [{ cni: "weave" }, 'lab:cni is "weave": must be one of calico, flannel'],
        [{ podCidr: "10.244.0.0" }, 'lab:podCidr is "10.244.0.0": must be an IPv4 network CIDR'],
        [{ podCidr: "10.42.128.0/17" }, 'lab:podCidr is "10.42.128.0/17": overlaps the lab\'s VPC (10.42.0.0/16)'],
        [{ podCidr: "10.0.0.0/8" }, 'lab:podCidr is "10.0.0.0/8": overlaps the lab\'s VPC (10.42.0.0/16)'],
        [{ podCidr: "10.100.0.0/16" }, 'lab:podCidr is "10.100.0.0/16": overlaps the Kubernetes service CIDR (10.96.0.0/12)'],
        [
            { podCidr: "10.244.0.0/24" },
            'lab:podCidr is "10.244.0.0/24": is too small: every node gets a /24 from it, so 3 nodes need a /22 or larger',
        ],
        [
            { publishedPort: "8001" },
            'lab:publishedPort is "8001": is the nginx Service\'s NodePort with lab:orchestrator kubernetes, so it must be a whole number from 30000 to 32767 (default 30080)',
        ],
        [
            { controlPlaneInstanceType: "t3.micro" },
            'lab:controlPlaneInstanceType is "t3.micro": has 2 vCPU and 1 GiB, but kubeadm\'s preflight needs at least 2 vCPU and 2 GiB on a control plane: choose t3.small or larger',
        ],
        [
            { controlPlaneInstanceType: "t2.small" },
            'lab:controlPlaneInstanceType is "t2.small": has 1 vCPU and 2 GiB, but kubeadm\'s preflight needs at least 2 vCPU and 2 GiB on a control plane: choose t2.medium or larger',
        ],
        [
            { controlPlaneInstanceType: "m6g.medium" },
            'lab:controlPlaneInstanceType is "m6g.medium": is a medium size, which outside the t2/t3/t3a/t4g families has a single vCPU',
        ],
        [{ controlPlaneInstanceType: "x9z.huge" }, 'lab:controlPlaneInstanceType is "x9z.huge": must be an EC2 instance type'],
        [
            { controlPlaneInstanceType: "t4g.medium" },
            'lab:controlPlaneInstanceType is "t4g.medium": is arm64 while the workers\' lab:instanceType t3.small is amd64: every node boots one image',
        ],
        [
            { globalPublishedPort: "8002" },
            'lab:globalPublishedPort is "8002": applies to lab:orchestrator swarm only, and this lab is kubernetes; remove it (pulumi config rm lab:globalPublishedPort)',
        ],
    ])("rejects %j for kubernetes", (values, message) => {
        expect(errorOf({ ...K8S, ...values })).toContain(message);
    });

    it.each([
        [{ cni: "flannel" }, 'lab:cni is "flannel": applies to lab:orchestrator kubernetes only, and this lab is swarm'],
        [{ kubernetesVersion: "1.36" }, 'lab:kubernetesVersion is "1.36": applies to lab:orchestrator kubernetes only'],
        [
            { controlPlaneInstanceType: "t3.medium" },
            'lab:controlPlaneInstanceType is "t3.medium": applies to lab:orchestrator kubernetes only',
        ],
    ])("rejects %j for swarm", (values, message) => {
        expect(errorOf(values)).toContain(message);
    });

    it("holds control planes to kubeadm's preflight minimum, and workers to none", () => {
        for (const type of ["t3.small", "t3a.medium", "t2.medium", "m6i.large", "c7i.metal-24xl"]) {
            expect(parseK8s({ controlPlaneInstanceType: type }).controlPlaneInstanceType).toBe(type);
        }
        expect(parseK8s({ instanceType: "t3.micro" })).toMatchObject({ instanceType: "t3.micro", controlPlaneInstanceType: "t3.medium" });
        expect(parseK8s({ instanceType: "t4g.small", controlPlaneInstanceType: "t4g.medium" })).toMatchObject({
            instanceType: "t4g.small",
        });
        // Without workers, only the control planes' type boots.
        expect(parseK8s({ workers: "0", controlPlaneInstanceType: "t4g.medium" }).controlPlaneInstanceType).toBe("t4g.medium");
    });

    it("sizes the pod CIDR check by the node count, and compares ranges both ways", () => {
        expect(parseK8s({ podCidr: "10.244.0.0/22", managers: "1", workers: "3" }).podCidr).toBe("10.244.0.0/22");
        expect(errorOf({ ...K8S, podCidr: "10.244.0.0/22", managers: "3", workers: "2" })).toContain("5 nodes need a /21 or larger");
        expect(cidrsOverlap("10.42.1.0/24", "10.0.0.0/8")).toBe(true);
        expect(cidrsOverlap("10.0.0.0/8", "10.42.1.0/24")).toBe(true);
        expect(cidrsOverlap("10.244.0.0/16", "10.42.0.0/16")).toBe(false);
        expect(cidrsOverlap("10.95.255.0/24", "10.96.0.0/12")).toBe(false);
    });

    it("fails the program before any resource is registered", async () => {
        await expect(runLab({ ...K8S, managers: "5" })).rejects.toThrow(/lab:managers is "5"/);
        expect(recorder.resources).toEqual([]);
    });
});
