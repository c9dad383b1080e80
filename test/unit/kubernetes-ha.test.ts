// Three control planes behind an API load balancer, one control plane without any of it: the
// endpoint each node and the operator reach, the certificate's names, and the security groups.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exported, INSTANCE, runLab, SECURITY_GROUP, stdinOf } from "../harness";

const K8S = { orchestrator: "kubernetes" };
const NLB_DNS = "k8s-api-nlb-0123.elb.ap-northeast-2.amazonaws.com";
const NLB_PRIVATE_IP = "10.42.1.250";

describe("three control planes: the API behind a Network Load Balancer", () => {
    it("forwards 6443 to every control plane that passes /readyz, without keeping client addresses", async () => {
        const run = await runLab({ ...K8S, managers: "3" });
        const [nlb] = run.ofType("aws:lb/loadBalancer:LoadBalancer");
        expect(nlb.inputs).toMatchObject({
            loadBalancerType: "network",
            internal: false,
            subnets: ["lab-public-id"],
            securityGroups: ["k8s-api-lb-id"],
        });
        expect(run.dependsOn("k8s-api-nlb")).toContain(run.byName("lab-routes").urn);
        const [targets] = run.ofType("aws:lb/targetGroup:TargetGroup");
        expect(targets.inputs).toMatchObject({
            targetType: "instance",
            protocol: "TCP",
            port: 6443,
            vpcId: "lab-vpc-id",
            preserveClientIp: "false",
            healthCheck: { protocol: "HTTPS", path: "/readyz", port: "traffic-port", matcher: "200" },
        });
        // Each control plane's instance id, as its Elastic IP names it.
        const instanceIds = ["k8s-cp1", "k8s-cp2", "k8s-cp3"].map((n) => run.byName(`${n}-address`).inputs.instance);
        expect(instanceIds.every((id) => /^i-\d+$/.test(id))).toBe(true);
        const attachments = run.ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment");
        expect(attachments.map((a) => a.inputs.targetId).sort()).toEqual([...instanceIds].sort());
        for (const a of attachments) expect(a.inputs).toMatchObject({ port: 6443, targetGroupArn: targets.state.arn });
        const [listener] = run.ofType("aws:lb/listener:Listener");
        expect(listener.inputs).toMatchObject({ port: 6443, protocol: "TCP", loadBalancerArn: nlb.state.arn });
        expect(listener.inputs.defaultActions).toEqual([{ type: "forward", targetGroupArn: targets.state.arn }]);
    });

    it("admits the API from allowedCidr and the lab subnet only, and the control planes admit the load balancer's address", async () => {
        const run = await runLab({ ...K8S, managers: "3" });
        const api = run.byName("k8s-api-lb").inputs;
        expect(api.ingress).toEqual([
            expect.objectContaining({ protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["198.51.100.0/24"] }),
            expect.objectContaining({ protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["10.42.1.0/24"] }),
        ]);
        expect(api.egress).toEqual([
            expect.objectContaining({ protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["10.42.1.0/24"] }),
        ]);
        const nodes = run.ofType(SECURITY_GROUP).find((g) => g.name === "lab-nodes")!.inputs.ingress;
        expect(
            nodes
                .filter((r: { fromPort: number }) => r.fromPort === 6443)
                .map((r: { cidrBlocks?: string[]; self?: boolean }) => r.cidrBlocks ?? "self"),
        ).toEqual([["198.51.100.0/24"], "self", ["10.42.1.0/24"]]);
    });

    it("names the load balancer and every control plane's address in the certificate; nodes reach the API through it, control planes at themselves", async () => {
        const run = await runLab({ ...K8S, managers: "3" });
        const eip = (n: string) => run.byName(`${n}-address`).state.publicIp;
        expect(exported(stdinOf(run, "kubeadm-init"), "CERT_SANS")).toBe(
            `k8s-api,${NLB_DNS},${eip("k8s-cp1")},${eip("k8s-cp2")},${eip("k8s-cp3")}`,
        );
        for (const node of ["k8s-cp2", "k8s-cp3", "k8s-w1", "k8s-w2"]) {
            expect(exported(stdinOf(run, `${node}-join`), "API_ADDRESS"), node).toBe(NLB_PRIVATE_IP);
        }
        // The operator's kubeconfig, and the program's provider, use the load balancer too.
        expect(parse(run.outputs.kubeconfig.value).clusters[0].cluster.server).toBe(`https://${NLB_DNS}:6443`);
        // From a new operator address, both security groups open the API before the provider talks to it.
        const provider = run.dependsOn("kubeadm-provider");
        expect(provider).toContain(run.byName("lab-nodes").urn);
        expect(provider).toContain(run.byName("k8s-api-lb").urn);
    });
});

describe("one control plane: none of it", () => {
    it("has no load balancer; nodes reach the control plane's private address, the operator its Elastic IP", async () => {
        const run = await runLab(K8S);
        expect(run.resources.filter((r) => r.type.startsWith("aws:lb/") || r.name === "k8s-api-lb")).toEqual([]);
        const cp1 = run.byName("k8s-cp1");
        const address = run.byName("k8s-cp1-address");
        expect(address.inputs).toMatchObject({ domain: "vpc", instance: "i-10" });
        expect(exported(stdinOf(run, "kubeadm-init"), "CERT_SANS")).toBe(`k8s-api,${address.state.publicIp}`);
        for (const node of ["k8s-w1", "k8s-w2"]) expect(exported(stdinOf(run, `${node}-join`), "API_ADDRESS")).toBe(cp1.state.privateIp);
        expect(parse(run.outputs.kubeconfig.value).clusters[0].cluster.server).toBe(`https://${address.state.publicIp}:6443`);
        const nodes = run.ofType(SECURITY_GROUP).find((g) => g.name === "lab-nodes")!.inputs.ingress;
        expect(nodes.filter((r: { cidrBlocks?: string[] }) => r.cidrBlocks?.includes("10.42.1.0/24"))).toEqual([]);
        expect(run.dependsOn("kubeadm-provider")).toContain(run.byName("lab-nodes").urn);
        // Workers keep the instance's own address: nothing names it.
        expect(run.resources.filter((r) => r.name.startsWith("k8s-w") && r.type === "aws:ec2/eip:Eip")).toEqual([]);
        expect(run.ofType(INSTANCE).map((i) => i.inputs.instanceType)).toEqual(["t3.medium", "t3.small", "t3.small"]);
    });
});
