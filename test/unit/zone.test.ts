// The subnet's availability zone: one that offers every instance type of the lab, chosen once.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { labZone, Offering, zoneProblem, zonesOffering } from "../../components/zone";
import type { CommonConfig } from "../../components/config/common";
import { outcome, recorder, runLab, settled } from "../harness";

const offer = (zone: string, ...types: string[]): Offering[] => types.map((instanceType) => ({ zone, instanceType }));
const SEOUL = [
    ...offer("ap-northeast-2a", "t3.small"),
    ...offer("ap-northeast-2b", "t3.small", "t3.medium"),
    ...offer("ap-northeast-2c", "t3.medium", "t3.small"),
    ...offer("ap-northeast-2d", "t3.medium"),
];

describe("the subnet's availability zone", () => {
    it("is the first zone, by name, that offers every instance type of the lab", () => {
        expect(zonesOffering(SEOUL, ["t3.small"])).toEqual(["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]);
        expect(zonesOffering(SEOUL, ["t3.medium", "t3.small"])).toEqual(["ap-northeast-2b", "ap-northeast-2c"]);
        expect(labZone(SEOUL, ["t3.medium", "t3.small"], "ap-northeast-2")).toBe("ap-northeast-2b");
        expect(() => labZone(SEOUL, ["t4g.small"], "ap-northeast-2")).toThrow(
            new pulumi.RunError("lab:instanceType: no availability zone of ap-northeast-2 offers t4g.small together: choose other types"),
        );
    });

    it("refuses an instance type the subnet's zone does not offer, naming the zones that do", () => {
        expect(zoneProblem("ap-northeast-2b", "ap-northeast-2", SEOUL, ["t3.medium"])).toBeUndefined();
        expect(zoneProblem("ap-northeast-2a", "ap-northeast-2", SEOUL, ["t3.medium", "t3.small"])).toBe(
            "lab:instanceType: t3.medium is not offered in ap-northeast-2a, the zone of this lab's subnet; ap-northeast-2b, ap-northeast-2c offer it, " +
                "but the zone is fixed with the subnet: choose another type, or rebuild the lab (pulumi destroy, then pulumi up)",
        );
    });

    it("is asked of DescribeInstanceTypeOfferings for the lab's types and set on the subnet, kept once chosen", async () => {
        const swarm = await runLab();
        const subnet = swarm.byName("lab-public");
        expect(subnet.inputs.availabilityZone).toBe("ap-northeast-2a");
        expect(subnet.options.ignoreChanges).toEqual(["availabilityZone"]);
        // The mocks' ap-northeast-2a has no t3.medium, a Kubernetes control plane's default.
        const k8s = await runLab({ orchestrator: "kubernetes" });
        expect(k8s.byName("lab-public").inputs.availabilityZone).toBe("ap-northeast-2b");
        for (const instance of k8s.ofType("aws:ec2/instance:Instance")) expect(instance.inputs.subnetId).toBe("lab-public-id");
    });

    it("keeps the instances from launching when a changed type is not offered in the subnet's zone", async () => {
        const { LabNetwork } = await import("../../components/network.js");
        // An older lab's subnet, in the zone AWS gave it (ignoreChanges keeps it), has no t3.medium.
        recorder.override = (args) =>
            args.type === "aws:ec2/subnet:Subnet" ? { state: { ...args.inputs, availabilityZone: "ap-northeast-2a" } } : undefined;
        try {
            const network = new LabNetwork("zone-check", {
                config: { labName: "dev", region: "ap-northeast-2", allowedCidrs: ["198.51.100.0/24"] } as CommonConfig,
                ports: [],
                instanceTypes: ["t3.medium"],
                tags: {},
            });
            const result = await outcome(network.nodeSubnetId);
            expect(result.error).toBeInstanceOf(pulumi.RunError);
            expect(result.error!.message).toContain(
                "lab:instanceType: t3.medium is not offered in ap-northeast-2a, the zone of this lab's subnet",
            );
        } finally {
            recorder.override = undefined;
            await settled();
        }
    });
});
