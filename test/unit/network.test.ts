// The nodes' security group as a table: what the operator reaches from allowedCidr, what only the
// lab's own nodes reach, and the load balancer's health checks.
import { describe, expect, it } from "vitest";
import { LabRun, runLab, SECURITY_GROUP } from "../harness";

const K8S = { orchestrator: "kubernetes" };

describe("swarm security group", () => {
    it("opens SSH, the course ports and the published ports to allowedCidr only, and Swarm ports between nodes only", async () => {
        const run = await runLab({ allowedCidr: "198.51.100.7/32", publishedPort: "8080", globalPublishedPort: "9090" });
        const [group] = run.ofType("aws:ec2/securityGroup:SecurityGroup");
        const table = group.inputs.ingress
            .map((r: any) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.self ? "nodes" : r.cidrBlocks.join(",")}`)
            .sort();
        expect(table).toEqual([
            "50 0-0 nodes",
            "icmp -1--1 nodes",
            "tcp 22-22 198.51.100.7/32",
            "tcp 2377-2377 nodes",
            "tcp 7070-7070 198.51.100.7/32",
            "tcp 7946-7946 nodes",
            "tcp 8000-8099 198.51.100.7/32",
            "tcp 9090-9090 198.51.100.7/32",
            "udp 4789-4789 nodes",
            "udp 7946-7946 nodes",
        ]);
        for (const rule of group.inputs.ingress) {
            expect(rule.cidrBlocks ?? []).not.toContain("0.0.0.0/0");
        }
    });
});

describe("kubernetes security group", () => {
    const tableOf = (run: LabRun) =>
        run
            .ofType(SECURITY_GROUP)[0]
            .inputs.ingress.map((r: any) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.self ? "nodes" : r.cidrBlocks.join(",")}`)
            .sort();
    // kubeadm binds the controller manager (10257) and the scheduler (10259) to 127.0.0.1: not opened.
    // 80, 7070 and 8000-8099 are for the course's LoadBalancer Services.
    const common = [
        "icmp -1--1 nodes",
        "tcp 10250-10250 nodes",
        "tcp 22-22 198.51.100.7/32",
        "tcp 2379-2380 nodes",
        "tcp 30000-32767 198.51.100.7/32",
        "tcp 6443-6443 198.51.100.7/32",
        "tcp 6443-6443 nodes",
        "tcp 7070-7070 198.51.100.7/32",
        "tcp 80-80 198.51.100.7/32",
        "tcp 8000-8099 198.51.100.7/32",
    ];

    it.each([
        ["calico", ["4 0-0 nodes", "tcp 179-179 nodes"]],
        ["flannel", ["udp 8472-8472 nodes"]],
    ])("opens the API and NodePorts to allowedCidr only, and kubeadm and %s ports between nodes", async (cni, cniRows) => {
        const run = await runLab({ ...K8S, cni, allowedCidr: "198.51.100.7/32" });
        expect(tableOf(run)).toEqual([...common, ...cniRows].sort());
        for (const rule of run.ofType(SECURITY_GROUP)[0].inputs.ingress) {
            expect(rule.cidrBlocks ?? []).not.toContain("0.0.0.0/0");
        }
    });

    it("adds the load balancer's health checks from the lab subnet, on the forwarded port only", async () => {
        const k8s = await runLab({ ...K8S, allowedCidr: "198.51.100.7/32", loadBalancer: "true" });
        expect(tableOf(k8s)).toEqual([...common, "4 0-0 nodes", "tcp 179-179 nodes", "tcp 30080-30080 10.42.1.0/24"].sort());
        const swarm = await runLab({ allowedCidr: "198.51.100.7/32", loadBalancer: "true" });
        expect(tableOf(swarm).filter((row: string) => row.endsWith("10.42.1.0/24"))).toEqual(["tcp 8001-8001 10.42.1.0/24"]);
    });
});
