// The optional Network Load Balancer in front of the sample app, for both orchestrators.
import { describe, expect, it } from "vitest";
import { runLab } from "../harness";

const K8S = { orchestrator: "kubernetes" };

describe("load balancer", () => {
    const withDns = (args: { type: string; name: string }) =>
        args.type === "aws:lb/loadBalancer:LoadBalancer"
            ? {
                  state: {
                      arn: `arn:aws:elasticloadbalancing:::loadbalancer/net/${args.name}`,
                      dnsName: `${args.name}-0123.elb.ap-northeast-2.amazonaws.com`,
                  },
              }
            : args.type === "aws:lb/targetGroup:TargetGroup"
              ? { state: { arn: `arn:aws:elasticloadbalancing:::targetgroup/${args.name}` } }
              : undefined;

    it.each([
        ["swarm", {}, 8001, ["swarm-worker1", "swarm-worker2"]],
        ["kubernetes", K8S, 30080, ["k8s-w1", "k8s-w2"]],
        ["kubernetes without workers", { ...K8S, workers: "0" }, 30080, ["k8s-cp1"]],
    ])("%s: an internet-facing NLB on port 80 forwards to the nginx port on the workers", async (_label, lab, port, targets) => {
        const run = await runLab({ ...lab, loadBalancer: "true" }, withDns);
        const [nlb] = run.ofType("aws:lb/loadBalancer:LoadBalancer");
        expect(nlb.inputs).toMatchObject({ loadBalancerType: "network", internal: false, subnets: ["lab-public-id"] });
        const [group] = run.ofType("aws:lb/targetGroup:TargetGroup");
        expect(group.inputs).toMatchObject({
            targetType: "instance",
            protocol: "TCP",
            port,
            vpcId: "lab-vpc-id",
            healthCheck: { protocol: "TCP", port: "traffic-port" },
        });
        const attachments = run.ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment");
        // The mock numbers each instance: i-N with public IP 203.0.113.N.
        const instanceId = (node: string) => `i-${run.byName(node).state.publicIp.split(".").pop()}`;
        expect(attachments.map((a) => a.inputs.targetId).sort()).toEqual(targets.map(instanceId).sort());
        for (const a of attachments) expect(a.inputs).toMatchObject({ port, targetGroupArn: group.state.arn });
        const [listener] = run.ofType("aws:lb/listener:Listener");
        expect(listener.inputs).toMatchObject({ port: 80, protocol: "TCP", loadBalancerArn: nlb.state.arn });
        expect(listener.inputs.defaultActions).toEqual([{ type: "forward", targetGroupArn: group.state.arn }]);
        expect(run.outputs.loadBalancerUrl).toEqual({ value: `http://${nlb.state.dnsName}`, secret: false });
    });

    it.each([
        ["swarm", {}],
        ["kubernetes", K8S],
    ])("%s: no load balancer and no loadBalancerUrl by default", async (_label, lab) => {
        const run = await runLab(lab);
        expect(run.resources.filter((r) => r.type.startsWith("aws:lb/"))).toEqual([]);
        expect(run.outputs.loadBalancerUrl).toBeUndefined();
    });
});
