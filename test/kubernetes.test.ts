// The Kubernetes lab and the load balancer option: the resource graph under Pulumi mocks (names,
// order, ports, secrets, the commands and specs each part receives), config validation, and the
// kubeadm node scripts run for real with stub kubeadm/kubectl/containerd/apt-get/... on PATH.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cidrsOverlap, LabConfigError, parseLabConfig } from "../components/config";
import { CNI_MANIFESTS, parseJoinCommand, publicKubeconfig } from "../components/kubeadm";
import { isSecretValue, LabRun, plainSecrets, recorder, Registered, runLab } from "./harness";

const COMMAND = "command:remote:Command";
const INSTANCE = "aws:ec2/instance:Instance";
const K8S = { orchestrator: "kubernetes" };

const names = (run: LabRun, type: string) => run.ofType(type).map((r) => r.name).sort();
const stdinOf = (run: LabRun, name: string) => String(run.byName(name).inputs.stdin);
/** The value of one `export NAME='value'` line of a rendered script. */
const exported = (script: string, name: string) => {
    const m = new RegExp(`^export ${name}='([^']*)'$`, "m").exec(script);
    return m ? m[1] : undefined;
};

function expectedNodes(controlPlanes: number, workers: number): string[] {
    return [
        ...Array.from({ length: controlPlanes }, (_, i) => `k8s-cp${i + 1}`),
        ...Array.from({ length: workers }, (_, i) => `k8s-w${i + 1}`),
    ];
}

describe("kubernetes resource graph", () => {
    it.each([[1, 2], [3, 3]])("%i control plane(s) + %i worker(s): nodes, steps, provider and app", async (controlPlanes, workers) => {
        const run = await runLab({ ...K8S, managers: String(controlPlanes), workers: String(workers) });
        const nodes = expectedNodes(controlPlanes, workers);
        const joined = nodes.slice(1);
        expect(names(run, INSTANCE)).toEqual([...nodes].sort());
        expect(names(run, COMMAND)).toEqual([
            ...nodes.map((n) => `${n}-gate`),
            ...nodes.map((n) => `${n}-hosts`),
            ...joined.flatMap((n) => [`${n}-join-command`, `${n}-join`, `${n}-membership`]),
            "kubeadm-init", "kubeadm-cni", "kubeadm-kubeconfig",
        ].sort());
        expect(run.resources.filter((r) => /swarm|stack/.test(r.name))).toEqual([]);
        expect(names(run, "pulumi:providers:kubernetes")).toEqual(["kubeadm-provider"]);
        expect(names(run, "kubernetes:core/v1:Namespace")).toEqual(["app-namespace"]);
        expect(names(run, "kubernetes:apps/v1:Deployment")).toEqual(["app-nginx"]);
        expect(names(run, "kubernetes:core/v1:Service")).toEqual(["app-nginx-nodeport"]);
        expect(run.resources.filter((r) => r.type.startsWith("aws:lb/"))).toEqual([]);

        expect(run.outputs.nodes.value.map((n: { name: string; role: string }) => `${n.name}:${n.role}`))
            .toEqual(nodes.map((n) => `${n}:${n.includes("cp") ? "control-plane" : "worker"}`));
        expect(run.outputs.nginxUrls.value).toEqual(nodes.map((n) => `http://${run.byName(n).state.publicIp}:30080`));
        expect(Object.keys(run.outputs).sort()).toEqual(["expiresAt", "kubeconfig", "nginxUrls", "nodes", "privateKey", "sshCommands"]);
        for (const instance of run.ofType(INSTANCE)) {
            expect(instance.inputs.tags.Role).toBe(instance.name.includes("cp") ? "control-plane" : "worker");
        }
    });

    it("orders gate -> hosts -> init -> CNI -> join command -> join -> Ready -> kubeconfig -> provider -> app", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2" });
        const urn = (name: string) => run.byName(name).urn;
        const chain = ["k8s-cp1", "k8s-cp1-gate", "k8s-cp1-hosts", "kubeadm-init", "kubeadm-cni", "k8s-w1-join-command",
            "k8s-w1-join", "k8s-w1-membership", "kubeadm-kubeconfig", "kubeadm-provider", "app-namespace", "app-nginx"];
        for (let i = 1; i < chain.length; i++) {
            expect(run.dependsOn(chain[i]), `${chain[i]} waits for ${chain[i - 1]}`).toContain(urn(chain[i - 1]));
        }
        expect(run.dependsOn("app-nginx-nodeport")).toContain(urn("app-namespace"));

        const workers = ["k8s-w1", "k8s-w2"];
        for (const node of ["k8s-cp2", "k8s-cp3", ...workers]) {
            const join = run.dependsOn(`${node}-join`);
            expect(join).toContain(urn(`${node}-hosts`));
            expect(join).toContain(urn(`${node}-join-command`));
            expect(join).toContain(urn("kubeadm-cni"));
            expect(run.dependsOn("kubeadm-kubeconfig")).toContain(urn(`${node}-membership`));
        }
        // Workers join at once, with nothing but init and the CNI before them.
        for (const node of workers) {
            const join = run.dependsOn(`${node}-join`);
            for (const other of ["k8s-cp2", "k8s-cp3", ...workers].filter((o) => o !== node)) {
                expect(join).not.toContain(urn(`${other}-join`));
                expect(join).not.toContain(urn(`${other}-hosts`));
            }
        }
        // Control planes join one after the other: etcd admits one learner at a time.
        expect(run.dependsOn("k8s-cp3-join-command")).toContain(urn("k8s-cp2-membership"));
        expect(run.dependsOn("k8s-cp2-join-command")).not.toContain(urn("k8s-cp3-join"));
        // The app waits for every node to be Ready; the kubeconfig is read after the CNI.
        expect(run.dependsOn("app-nginx")).toContain(urn("k8s-cp3-membership"));
        expect(run.dependsOn("kubeadm-kubeconfig")).toContain(urn("kubeadm-cni"));
    });

    it("installs containerd and kubeadm in cloud-init, gates on containerd, and turns the source/dest check off for Calico only", async () => {
        const calico = await runLab({ ...K8S, kubernetesVersion: "1.35" });
        for (const instance of calico.ofType(INSTANCE)) {
            const cloudConfig = parse(instance.inputs.userData.replace(/^#cloud-config\n/, ""));
            expect(cloudConfig.hostname).toBe(instance.name);
            expect(cloudConfig.write_files[0]).toMatchObject({ path: "/opt/cluster-lab/k8s-install.sh", permissions: "0755" });
            expect(cloudConfig.write_files[0].content).toBe(readFileSync(path.join(__dirname, "..", "scripts", "k8s-install.sh"), "utf8"));
            expect(cloudConfig.runcmd).toEqual([["env", "KUBERNETES_VERSION=1.35", "/opt/cluster-lab/k8s-install.sh"]]);
            expect(instance.inputs.sourceDestCheck).toBe(false);
            expect(exported(stdinOf(calico, `${instance.name}-gate`), "ENGINE")).toBe("containerd");
        }
        const flannel = await runLab({ ...K8S, cni: "flannel" });
        for (const instance of flannel.ofType(INSTANCE)) expect(instance.inputs.sourceDestCheck).toBeUndefined();
        const swarm = await runLab();
        for (const instance of swarm.ofType(INSTANCE)) {
            expect(instance.inputs.sourceDestCheck).toBeUndefined();
            expect(instance.inputs.userData).toContain("install-docker.sh");
        }
    });
});

describe("kubeadm steps", () => {
    it("inits the first control plane with its addresses, the shared endpoint and the pod CIDR", async () => {
        const ha = await runLab({ ...K8S, managers: "3", workers: "2", podCidr: "172.20.0.0/16" });
        const init = stdinOf(ha, "kubeadm-init");
        const cp1 = ha.byName("k8s-cp1").state;
        expect(exported(init, "NODE_NAME")).toBe("k8s-cp1");
        expect(exported(init, "ADVERTISE_ADDR")).toBe(cp1.privateIp);
        expect(exported(init, "PUBLIC_ADDR")).toBe(cp1.publicIp);
        expect(exported(init, "CONTROL_PLANE_ENDPOINT")).toBe("k8s-cp1:6443");
        expect(exported(init, "POD_CIDR")).toBe("172.20.0.0/16");
        expect(exported(init, "SERVICE_CIDR")).toBe("10.96.0.0/12");
        expect(exported(init, "UPLOAD_CERTS")).toBe("true");
        expect(exported(init, "ALLOW_WORKLOADS")).toBe("false");
        expect(init).toContain("kubeadm \"${args[@]}\" >/dev/null");
        expect(ha.byName("kubeadm-init").inputs.connection.host).toBe(cp1.publicIp);

        const single = await runLab({ ...K8S, managers: "1", workers: "0" });
        expect(exported(stdinOf(single, "kubeadm-init"), "UPLOAD_CERTS")).toBe("false");
        expect(exported(stdinOf(single, "kubeadm-init"), "ALLOW_WORKLOADS")).toBe("true");
        expect(exported(stdinOf(single, "kubeadm-init"), "POD_CIDR")).toBe("192.168.0.0/16");
    });

    it.each([
        ["calico", "kube-system/calico-node", "", "192.168.0.0/16"],
        ["flannel", "kube-flannel/kube-flannel-ds", "10.244.0.0/16", "10.244.0.0/16"],
    ])("applies the pinned %s manifest", async (cni, daemonSet, manifestCidr, podCidr) => {
        const run = await runLab({ ...K8S, cni });
        const script = stdinOf(run, "kubeadm-cni");
        const url = exported(script, "CNI_MANIFEST_URL")!;
        expect(url).toMatch(/^https:\/\/(raw\.githubusercontent\.com|github\.com)\//);
        expect(url).toContain(`/${CNI_MANIFESTS[cni as "calico"].version}/`);
        expect(CNI_MANIFESTS[cni as "calico"].version).toMatch(/^v\d+\.\d+\.\d+$/);
        expect(exported(script, "CNI_DAEMONSET")).toBe(daemonSet);
        expect(exported(script, "MANIFEST_POD_CIDR")).toBe(manifestCidr);
        expect(exported(script, "POD_CIDR")).toBe(podCidr);
        expect(script).toContain("kubectl apply --server-side");
    });

    it("gives every node a fresh join command from the first control plane, and control planes a certificate key", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2" });
        const cp1 = run.byName("k8s-cp1").state;
        const tokens = new Set<string>();
        for (const node of ["k8s-cp2", "k8s-cp3", "k8s-w1", "k8s-w2"]) {
            const controlPlane = node.includes("cp");
            const joinCommand = run.byName(`${node}-join-command`);
            expect(joinCommand.inputs.create).toContain(`LAB_NODE=k8s-cp1 LAB_STEP=join-command-for-${node}`);
            expect(joinCommand.inputs.connection.host).toBe(cp1.publicIp);
            expect(joinCommand.inputs.logging).toBe("stderr");
            expect(exported(String(joinCommand.inputs.stdin), "CONTROL_PLANE")).toBe(String(controlPlane));
            const printed = JSON.parse(joinCommand.state.stdout);

            const join = run.byName(`${node}-join`);
            const script = String(join.inputs.stdin);
            expect(join.inputs.connection.host).toBe(run.byName(node).state.publicIp);
            expect(isSecretValue(join.rawInputs.stdin)).toBe(true);
            expect(exported(script, "JOIN_TOKEN")).toBe(printed.token);
            expect(exported(script, "CA_CERT_HASH")).toBe(printed.caCertHash);
            expect(exported(script, "API_ENDPOINT")).toBe("k8s-cp1:6443");
            expect(exported(script, "ADVERTISE_ADDR")).toBe(run.byName(node).state.privateIp);
            expect(exported(script, "CONTROL_PLANE")).toBe(String(controlPlane));
            expect(exported(script, "CERTIFICATE_KEY")).toBe(controlPlane ? printed.certificateKey : undefined);
            if (controlPlane) expect(printed.certificateKey).toMatch(/^[0-9a-f]{64}$/);
            tokens.add(printed.token);
        }
        expect(tokens.size).toBe(4);
    });

    it("removes a node from the first control plane on delete: drain, etcd member of a control plane, delete node", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "1" });
        for (const node of ["k8s-cp2", "k8s-w1"]) {
            const membership = run.byName(`${node}-membership`);
            const hook = String(membership.inputs.delete);
            expect(membership.inputs.create).toContain(`LAB_NODE=k8s-cp1 LAB_STEP=membership-of-${node}`);
            expect(membership.inputs.connection.host).toBe(run.byName("k8s-cp1").state.publicIp);
            expect(hook).toContain(`LAB_NODE=k8s-cp1 LAB_STEP=membership-of-${node}-delete`);
            expect(hook).toContain(`export NODE_NAME='\\''${node}'\\''`);
            expect(hook).toContain(`export CONTROL_PLANE='\\''${node.includes("cp")}'\\''`);
            expect(hook).toContain("export ETCD_POD='\\''etcd-k8s-cp1'\\''");
            expect(hook).toContain("kubectl drain \"$NODE_NAME\" --ignore-daemonsets --delete-emptydir-data");
            expect(hook).toContain("kubectl delete node \"$NODE_NAME\"");
            expect(membership.inputs.triggers).toBeUndefined();
            // No hook runs on the node itself: an unreachable node must not block destroy.
            expect(run.byName(`${node}-join`).inputs.delete).toBeUndefined();
            expect(run.byName(`${node}-join`).inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
        }
    });
});

describe("kubeconfig and provider", () => {
    it("reads admin.conf as a secret, points it at the first control plane's public IP, and builds the provider from it", async () => {
        const run = await runLab({ ...K8S, workers: "1" });
        const read = run.byName("kubeadm-kubeconfig");
        expect(read.inputs.logging).toBe("stderr");
        expect(read.inputs.create).toContain("LAB_NODE=k8s-cp1 LAB_STEP=kubeconfig");

        const output = run.outputs.kubeconfig;
        expect(output.secret).toBe(true);
        const kubeconfig = parse(output.value);
        expect(kubeconfig.clusters.map((c: any) => c.cluster.server)).toEqual([`https://${run.byName("k8s-cp1").state.publicIp}:6443`]);
        expect(kubeconfig.users[0].user["client-key-data"]).toBe(parse(read.state.stdout).users[0].user["client-key-data"]);

        const provider = run.byName("kubeadm-provider");
        expect(isSecretValue(provider.rawInputs.kubeconfig)).toBe(true);
        expect(provider.inputs.kubeconfig).toBe(output.value);
        expect(provider.inputs.deleteUnreachable).toBe("true");
    });

    it("rewrites every cluster's server, and never quotes secret text in its errors", () => {
        const text = "clusters:\n- name: a\n  cluster: {server: 'https://k8s-cp1:6443'}\n- name: b\n  cluster: {server: 'https://10.0.0.1:6443'}\n";
        expect(parse(publicKubeconfig(text, "198.51.100.7")).clusters.map((c: any) => c.cluster.server))
            .toEqual(["https://198.51.100.7:6443", "https://198.51.100.7:6443"]);
        expect(() => publicKubeconfig("kind: Config\n", "1.2.3.4")).toThrow(/has no clusters/);
        const leaked = "kubeadm join k8s-cp1:6443 --token abcdef.0123456789abcdef";
        expect(() => parseJoinCommand(leaked, "k8s-w1")).toThrow(/join command for k8s-w1 is not the JSON/);
        try { parseJoinCommand(leaked, "k8s-w1"); } catch (err) { expect((err as Error).message).not.toContain("abcdef"); }
    });
});

describe("sample app", () => {
    it("deploys nginx in namespace lab with probes and resources, behind a NodePort on lab:publishedPort", async () => {
        const run = await runLab({ ...K8S, nginxReplicas: "4", nginxImage: "nginx:1.27.3", publishedPort: "31000" });
        expect(run.byName("app-namespace").inputs.metadata.name).toBe("lab");
        const deployment = run.byName("app-nginx").inputs;
        expect(deployment.metadata).toMatchObject({ name: "nginx", namespace: "lab" });
        expect(deployment.spec.replicas).toBe(4);
        expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
        expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
        const [container] = deployment.spec.template.spec.containers;
        expect(container.image).toBe("nginx:1.27.3");
        expect(container.ports).toEqual([{ name: "http", containerPort: 80 }]);
        expect(container.readinessProbe.httpGet).toEqual({ path: "/", port: "http" });
        expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });

        const service = run.byName("app-nginx-nodeport").inputs;
        expect(service.metadata).toMatchObject({ name: "nginx", namespace: "lab" });
        expect(service.spec.type).toBe("NodePort");
        expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
        expect(service.spec.ports).toEqual([{ name: "http", protocol: "TCP", port: 80, targetPort: "http", nodePort: 31000 }]);
        expect(run.outputs.nginxUrls.value.every((u: string) => u.endsWith(":31000"))).toBe(true);
    });

    it("uses the lab's provider for every Kubernetes object", async () => {
        const run = await runLab(K8S);
        const provider = run.byName("kubeadm-provider");
        for (const object of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            expect(run.dependsOn(object.name)).toContain(provider.urn);
        }
    });
});

describe("kubernetes security groups", () => {
    const tableOf = (run: LabRun) => run.ofType("aws:ec2/securityGroup:SecurityGroup")[0].inputs.ingress
        .map((r: any) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.self ? "nodes" : r.cidrBlocks.join(",")}`)
        .sort();
    const common = [
        "tcp 10250-10250 nodes",
        "tcp 10257-10257 nodes",
        "tcp 10259-10259 nodes",
        "tcp 22-22 203.0.113.7/32",
        "tcp 2379-2380 nodes",
        "tcp 30000-32767 203.0.113.7/32",
        "tcp 6443-6443 203.0.113.7/32",
        "tcp 6443-6443 nodes",
    ];

    it.each([
        ["calico", ["4 0-0 nodes", "tcp 179-179 nodes"]],
        ["flannel", ["udp 8472-8472 nodes"]],
    ])("opens the API and NodePorts to allowedCidr only, and kubeadm and %s ports between nodes", async (cni, cniRows) => {
        const run = await runLab({ ...K8S, cni, allowedCidr: "203.0.113.7/32" });
        expect(tableOf(run)).toEqual([...common, ...cniRows].sort());
        for (const rule of run.ofType("aws:ec2/securityGroup:SecurityGroup")[0].inputs.ingress) {
            expect(rule.cidrBlocks ?? []).not.toContain("0.0.0.0/0");
        }
    });

    it("adds the load balancer's health checks from the lab subnet, on the forwarded port only", async () => {
        const k8s = await runLab({ ...K8S, allowedCidr: "203.0.113.7/32", loadBalancer: "true" });
        expect(tableOf(k8s)).toEqual([...common, "4 0-0 nodes", "tcp 179-179 nodes", "tcp 30080-30080 10.42.1.0/24"].sort());
        const swarm = await runLab({ allowedCidr: "203.0.113.7/32", loadBalancer: "true" });
        expect(tableOf(swarm).filter((row: string) => row.endsWith("10.42.1.0/24"))).toEqual(["tcp 8001-8001 10.42.1.0/24"]);
    });
});

describe("kubernetes secrets", () => {
    it("keeps tokens, certificate keys and the kubeconfig inside secrets, and their steps' stdout out of logs", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2", loadBalancer: "true" });
        expect(run.resources.flatMap((r: Registered) => plainSecrets(r.rawInputs, `${r.name}.inputs`))).toEqual([]);
        for (const [key, output] of Object.entries(run.outputs)) {
            if (!output.secret) expect(plainSecrets(output.value, key)).toEqual([]);
        }
        expect(run.outputs.kubeconfig.secret).toBe(true);
        expect(run.outputs.privateKey.secret).toBe(true);
        // The mocks' states lose secret markers: a command whose stdout carries a secret must not log it.
        const printing = run.ofType(COMMAND).filter((c) => plainSecrets(c.state.stdout, c.name).length > 0);
        expect(printing.map((c) => c.name).sort()).toEqual([
            "k8s-cp2-join-command", "k8s-cp3-join-command", "k8s-w1-join-command", "k8s-w2-join-command", "kubeadm-kubeconfig",
        ]);
        for (const command of printing) expect(command.inputs.logging).toBe("stderr");
        for (const command of run.ofType(COMMAND)) {
            expect(isSecretValue(command.rawInputs.create)).toBe(false);
            expect(command.inputs.create).toMatch(/^sudo -n env LAB_NODE=[a-z0-9-]+ LAB_STEP=[a-z0-9-]+ bash -c "\$\(cat\)"$/);
        }

        // The scanner does see them: they reach the joins and the provider, as secrets.
        const token = JSON.parse(run.byName("k8s-w1-join-command").state.stdout).token;
        expect(JSON.stringify(run.byName("k8s-w1-join").rawInputs)).toContain(token);
        expect(JSON.stringify(run.byName("kubeadm-provider").rawInputs)).toContain("client-key-data");
    });

    it("flags a token, a certificate key or kubeconfig data that reaches an input unsecret (the scanner can fail)", () => {
        expect(plainSecrets({ create: "kubeadm join k8s-cp1:6443 --token abcdef.0123456789abcdef" }, "x")).toEqual(["x.create"]);
        expect(plainSecrets({ env: ["0123456789abcdef".repeat(4)] }, "x")).toEqual(["x.env[0]"]);
        expect(plainSecrets({ kubeconfig: "users:\n- user:\n    client-key-data: AAAA" }, "x")).toEqual(["x.kubeconfig"]);
        expect(plainSecrets({ ok: "https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/calico.yaml" }, "x")).toEqual([]);
    });
});

describe("load balancer", () => {
    const withDns = (args: { type: string; name: string }) =>
        args.type === "aws:lb/loadBalancer:LoadBalancer"
            ? { state: { arn: `arn:aws:elasticloadbalancing:::loadbalancer/net/${args.name}`, dnsName: `${args.name}-0123.elb.ap-northeast-2.amazonaws.com` } }
            : args.type === "aws:lb/targetGroup:TargetGroup" ? { state: { arn: `arn:aws:elasticloadbalancing:::targetgroup/${args.name}` } } : undefined;

    it.each([
        ["swarm", {}, 8001, ["swarm-worker1", "swarm-worker2"]],
        ["kubernetes", K8S, 30080, ["k8s-w1", "k8s-w2"]],
        ["kubernetes without workers", { ...K8S, workers: "0" }, 30080, ["k8s-cp1"]],
    ])("%s: an internet-facing NLB on port 80 forwards to the nginx port on the workers", async (_label, lab, port, targets) => {
        const run = await runLab({ ...lab, loadBalancer: "true" }, withDns);
        const [nlb] = run.ofType("aws:lb/loadBalancer:LoadBalancer");
        expect(nlb.inputs).toMatchObject({ loadBalancerType: "network", internal: false, subnets: ["lab-public-id"] });
        const [group] = run.ofType("aws:lb/targetGroup:TargetGroup");
        expect(group.inputs).toMatchObject({ targetType: "instance", protocol: "TCP", port, vpcId: "lab-vpc-id", healthCheck: { protocol: "TCP", port: "traffic-port" } });
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

    it.each([["swarm", {}], ["kubernetes", K8S]])("%s: no load balancer and no loadBalancerUrl by default", async (_label, lab) => {
        const run = await runLab(lab);
        expect(run.resources.filter((r) => r.type.startsWith("aws:lb/"))).toEqual([]);
        expect(run.outputs.loadBalancerUrl).toBeUndefined();
    });
});

describe("kubernetes config validation", () => {
    const raw = (values: Record<string, string>) => (key: string) => values[key];
    const parseK8s = (values: Record<string, string>) => parseLabConfig(raw({ ...K8S, ...values }), "dev", "ap-northeast-2");
    const errorOf = (values: Record<string, string>) => {
        try {
            parseLabConfig(raw(values), "dev", "ap-northeast-2");
        } catch (err) {
            expect(err).toBeInstanceOf(LabConfigError);
            return (err as Error).message;
        }
        throw new Error("expected a LabConfigError");
    };

    it("has per-orchestrator defaults: NodePort 30080, Calico with its pod CIDR, a pinned minor, no load balancer", () => {
        expect(parseK8s({})).toMatchObject({
            orchestrator: "kubernetes", managers: 1, workers: 2, publishedPort: 30080, cni: "calico",
            podCidr: "192.168.0.0/16", kubernetesVersion: "1.36", loadBalancer: false,
        });
        expect(parseK8s({ cni: "flannel" }).podCidr).toBe("10.244.0.0/16");
        expect(parseK8s({ managers: "3", instanceType: "m6i.large", publishedPort: "32767", loadBalancer: "true" }))
            .toMatchObject({ managers: 3, publishedPort: 32767, loadBalancer: true });
        expect(parseLabConfig(raw({ loadBalancer: "true" }), "dev", "eu-west-1")).toMatchObject({ orchestrator: "swarm", publishedPort: 8001, loadBalancer: true });
    });

    it.each([
        [{ managers: "2" }, 'lab:managers is "2": must be 1 or 3 with lab:orchestrator kubernetes'],
        [{ managers: "5" }, 'lab:managers is "5": must be 1 or 3 with lab:orchestrator kubernetes'],
        [{ kubernetesVersion: "1.36.2" }, 'lab:kubernetesVersion is "1.36.2": must be a Kubernetes minor version such as 1.36'],
        [{ kubernetesVersion: "v1.36" }, 'lab:kubernetesVersion is "v1.36": must be a Kubernetes minor version'],
        [{ kubernetesVersion: "2.0" }, 'lab:kubernetesVersion is "2.0": must be a Kubernetes minor version'],
        [{ kubernetesVersion: "1.20" }, 'lab:kubernetesVersion is "1.20": must be 1.24 or later: pkgs.k8s.io publishes no older packages'],
        [{ cni: "weave" }, 'lab:cni is "weave": must be one of calico, flannel'],
        [{ podCidr: "10.244.0.0" }, 'lab:podCidr is "10.244.0.0": must be an IPv4 network CIDR'],
        [{ podCidr: "10.42.128.0/17" }, "lab:podCidr is \"10.42.128.0/17\": overlaps the lab's VPC (10.42.0.0/16)"],
        [{ podCidr: "10.0.0.0/8" }, "lab:podCidr is \"10.0.0.0/8\": overlaps the lab's VPC (10.42.0.0/16)"],
        [{ podCidr: "10.100.0.0/16" }, 'lab:podCidr is "10.100.0.0/16": overlaps the Kubernetes service CIDR (10.96.0.0/12)'],
        [{ podCidr: "10.244.0.0/24" }, 'lab:podCidr is "10.244.0.0/24": is too small: every node gets a /24 from it, so 3 nodes need a /22 or larger'],
        [{ loadBalancer: "yes" }, 'lab:loadBalancer is "yes": must be true or false'],
        [{ publishedPort: "8001" }, "lab:publishedPort is \"8001\": is the nginx Service's NodePort with lab:orchestrator kubernetes, so it must be a whole number from 30000 to 32767 (default 30080)"],
        [{ publishedPort: "32768" }, 'lab:publishedPort is "32768": is the nginx Service\'s NodePort'],
        [{ instanceType: "t3.micro" }, "lab:instanceType is \"t3.micro\": has 2 vCPU and 1 GiB, but kubeadm's preflight needs at least 2 vCPU and 2 GiB: choose t3.small or larger"],
        [{ instanceType: "t2.small" }, 'lab:instanceType is "t2.small": has 1 vCPU and 2 GiB, but kubeadm\'s preflight needs at least 2 vCPU and 2 GiB: choose t2.medium or larger'],
        [{ instanceType: "t4g.nano" }, 'lab:instanceType is "t4g.nano": has 2 vCPU and 0.5 GiB'],
        [{ instanceType: "m6g.medium" }, 'lab:instanceType is "m6g.medium": is a medium size, which outside the t2/t3/t3a/t4g families has a single vCPU'],
        [{ instanceType: "t3.4xlarge" }, 'lab:instanceType is "t3.4xlarge": is not a t3 size this lab knows'],
        [{ instanceType: "x9z.huge" }, 'lab:instanceType is "x9z.huge": has a size this lab cannot judge (huge)'],
        [{ globalPublishedPort: "8002" }, 'lab:globalPublishedPort is "8002": applies to lab:orchestrator swarm only, and this lab is kubernetes; remove it (pulumi config rm lab:globalPublishedPort)'],
        [{ drainManagers: "true" }, 'lab:drainManagers is "true": applies to lab:orchestrator swarm only'],
    ])("rejects %j for kubernetes", (values, message) => {
        expect(errorOf({ ...K8S, ...values })).toContain(message);
    });

    it.each([
        [{ cni: "flannel" }, 'lab:cni is "flannel": applies to lab:orchestrator kubernetes only, and this lab is swarm'],
        [{ kubernetesVersion: "1.36" }, 'lab:kubernetesVersion is "1.36": applies to lab:orchestrator kubernetes only'],
        [{ podCidr: "10.244.0.0/16" }, 'lab:podCidr is "10.244.0.0/16": applies to lab:orchestrator kubernetes only'],
        [{ loadBalancer: "1" }, 'lab:loadBalancer is "1": must be true or false'],
    ])("rejects %j for swarm", (values, message) => {
        expect(errorOf(values)).toContain(message);
    });

    it.each(["t3.small", "t3a.medium", "t4g.large", "t2.medium", "m6i.large", "c7g.2xlarge", "c7i.metal-24xl", "m5.metal"])(
        "accepts %s for kubernetes", (instanceType) => {
            expect(parseK8s({ instanceType }).instanceType).toBe(instanceType);
        });

    it("still lets swarm use small instances and odd manager counts above 3", () => {
        expect(parseLabConfig(raw({ instanceType: "t3.micro", managers: "5" }), "dev", "ap-northeast-2")).toMatchObject({ managers: 5 });
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

// ---------------------------------------------------------------------------------------------
// Scripts, run for real with bash. Each stub logs its argv to calls.log and keeps what a real
// command would change (admin.conf, kubelet.conf, the installed kubeadm version) in the sandbox.

const SCRIPTS = path.join(__dirname, "..", "scripts");
const TOKEN = "abcdef.0123456789abcdef";
const CA_HASH = `sha256:${"ab".repeat(32)}`;
const CERT_KEY = "f".repeat(64);
const JOIN_LINE = `kubeadm join k8s-cp1:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${CA_HASH} `;

const STUB = String.raw`#!/usr/bin/env bash
set -euo pipefail
name=$(basename "$0")
echo "$name $*" >>"$STUB_LOG"
s="$STUB_DIR"
case "$name $*" in
  "kubeadm version -o short") cat "$s/kubeadm-version" 2>/dev/null || exit 1 ;;
  "kubeadm init phase upload-certs"*)
    printf '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n%s\n' "$(cat "$s/cert-key")" ;;
  "kubeadm init"*)
    mkdir -p "$KUBERNETES_DIR/manifests"; echo "kind: Config" >"$KUBERNETES_DIR/admin.conf"
    printf 'Your Kubernetes control-plane has initialized successfully!\n\n  %s --control-plane --certificate-key %s\n' "$(cat "$s/join-line")" "$(cat "$s/cert-key")" ;;
  "kubeadm join"*) mkdir -p "$KUBERNETES_DIR"; echo "kind: Config" >"$KUBERNETES_DIR/kubelet.conf"; echo "This node has joined the cluster" ;;
  "kubeadm reset"*) rm -rf "$KUBERNETES_DIR"/* ;;
  "kubeadm token create"*) cat "$s/join-line" ;;
  "kubectl get node"*"--ignore-not-found"*) [ ! -f "$s/api-down" ] || exit 1; [ -f "$s/node-absent" ] || echo "node/x" ;;
  "kubectl get node"*"Ready"*)
    left=$(cat "$s/ready-after" 2>/dev/null || echo 0)
    if [ "$left" -gt 0 ]; then echo $((left - 1)) >"$s/ready-after"; echo False; else echo True; fi ;;
  "kubectl get node"*"taints"*) cat "$s/taints" 2>/dev/null || true ;;
  "kubectl -n kube-system exec"*"member list"*) cat "$s/members" ;;
  "containerd config default") cat "$s/containerd-default.toml" ;;
  "dpkg --print-architecture") echo amd64 ;;
  "curl"*"-o "*) out=""; prev=""; for a in "$@"; do [ "$prev" != -o ] || out=$a; prev=$a; done; cp "$s/manifest" "$out" ;;
  "curl"*) echo "-----BEGIN PGP PUBLIC KEY BLOCK-----" ;;
  "gpg"*) out=""; prev=""; for a in "$@"; do [ "$prev" != -o ] || out=$a; prev=$a; done; cat >"$out" ;;
  "apt-get"*" install "*"kubeadm"*) echo "v$KUBERNETES_VERSION.2" >"$s/kubeadm-version" ;;
esac
first=""; if [ $# -gt 0 ]; then first=$1; fi
exit "$(cat "$s/exit-$name-$first" 2>/dev/null || cat "$s/exit-$name" 2>/dev/null || echo 0)"
`;
const STUBBED = ["kubeadm", "kubectl", "containerd", "ctr", "kubelet", "systemctl", "modprobe", "sysctl", "swapoff",
    "apt-get", "apt-mark", "curl", "gpg", "dpkg", "sleep", "cloud-init"];

const CONTAINERD_DEFAULT = `version = 3
[plugins]
  [plugins.'io.containerd.cri.v1.runtime']
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'
          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = ''
            SystemdCgroup = false
`;

interface Run { code: number; stdout: string; stderr: string; calls: string[] }

function sandbox() {
    const dir = mkdtempSync(path.join(tmpdir(), "lab-k8s-"));
    const bin = path.join(dir, "bin");
    const stubs = path.join(dir, "stubs");
    mkdirSync(bin);
    mkdirSync(stubs);
    writeFileSync(path.join(stubs, "stub"), STUB);
    chmodSync(path.join(stubs, "stub"), 0o755);
    for (const name of STUBBED) symlinkSync(path.join(stubs, "stub"), path.join(bin, name));
    const file = (name: string, text: string) => writeFileSync(path.join(stubs, name), text);
    file("join-line", JOIN_LINE + "\n");
    file("cert-key", CERT_KEY);
    file("containerd-default.toml", CONTAINERD_DEFAULT);
    const k8sDir = path.join(dir, "etc-kubernetes");
    const log = path.join(dir, "calls.log");
    return {
        dir, k8sDir, file,
        remove: (name: string) => spawnSync("rm", ["-f", path.join(stubs, name)]),
        run(script: string, env: Record<string, string> = {}): Run {
            writeFileSync(log, "");
            const result = spawnSync("bash", [path.join(SCRIPTS, script)], {
                env: { PATH: `${bin}:/usr/bin:/bin`, STUB_DIR: stubs, STUB_LOG: log, KUBERNETES_DIR: k8sDir, ...env },
                encoding: "utf8",
            });
            return {
                code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr,
                calls: readFileSync(log, "utf8").split("\n").filter(Boolean),
            };
        },
    };
}

const calledWith = (calls: string[], prefix: string) => calls.filter((c) => c.startsWith(prefix));
const expectNoSecret = (text: string) => {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("0123456789abcdef");
    expect(text).not.toContain(CERT_KEY);
};

describe("k8s-install.sh", () => {
    const installEnv = (dir: string) => ({
        KUBERNETES_VERSION: "1.36",
        KEYRING_DIR: `${dir}/keyrings`, APT_SOURCES_DIR: `${dir}/sources`, OS_RELEASE: `${dir}/os-release`, FSTAB: `${dir}/fstab`,
        MODULES_FILE: `${dir}/modules.conf`, SYSCTL_FILE: `${dir}/sysctl.conf`, CONTAINERD_CONFIG: `${dir}/containerd/config.toml`,
        CRICTL_CONFIG: `${dir}/crictl.yaml`,
    });

    it("installs containerd and the pinned, held Kubernetes packages once, with SystemdCgroup = true", () => {
        const box = sandbox();
        const env = installEnv(box.dir);
        writeFileSync(env.OS_RELEASE, "ID=debian\nVERSION_CODENAME=bookworm\n");
        writeFileSync(env.FSTAB, "UUID=abc / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n");

        const first = box.run("k8s-install.sh", env);
        expect(first.stderr).toBe("");
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "apt-get").map((c) => c.replace(/^apt-get -o Acquire::Retries=5 -q /, ""))).toEqual([
            "update",
            "install -y --no-install-recommends ca-certificates curl gpg",
            "update",
            "install -y --no-install-recommends containerd.io kubelet kubeadm kubectl",
        ]);
        expect(calledWith(first.calls, "apt-mark hold")).toEqual(["apt-mark hold kubelet kubeadm kubectl"]);
        expect(readFileSync(`${env.APT_SOURCES_DIR}/kubernetes.list`, "utf8"))
            .toBe(`deb [signed-by=${env.KEYRING_DIR}/kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n`);
        expect(readFileSync(`${env.APT_SOURCES_DIR}/docker.list`, "utf8"))
            .toBe(`deb [arch=amd64 signed-by=${env.KEYRING_DIR}/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n`);
        expect(calledWith(first.calls, "curl")).toEqual([
            "curl -fsSL --retry 5 https://download.docker.com/linux/debian/gpg",
            "curl -fsSL --retry 5 https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key",
        ]);
        const containerdConfig = readFileSync(env.CONTAINERD_CONFIG, "utf8");
        expect(containerdConfig).toContain("            SystemdCgroup = true\n");
        expect(containerdConfig).not.toContain("SystemdCgroup = false");
        expect(readFileSync(env.MODULES_FILE, "utf8")).toBe("overlay\nbr_netfilter\n");
        expect(readFileSync(env.SYSCTL_FILE, "utf8")).toContain("net.bridge.bridge-nf-call-iptables = 1\n");
        expect(readFileSync(env.SYSCTL_FILE, "utf8")).toContain("net.ipv4.ip_forward = 1\n");
        expect(readFileSync(env.FSTAB, "utf8")).toBe("UUID=abc / ext4 defaults 0 1\n# /swapfile none swap sw 0 0\n");
        expect(first.calls).toEqual(expect.arrayContaining([
            "swapoff -a", "modprobe overlay", "modprobe br_netfilter", "sysctl --system",
            "systemctl restart containerd", "systemctl enable --now containerd", "systemctl enable kubelet",
        ]));
        expect(first.stdout).toContain("node ready for kubeadm: containerd and Kubernetes v1.36.2");

        const before = [env.CONTAINERD_CONFIG, env.FSTAB, env.MODULES_FILE].map((f) => readFileSync(f, "utf8"));
        const second = box.run("k8s-install.sh", env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "apt-get")).toEqual([]);
        expect(calledWith(second.calls, "curl")).toEqual([]);
        expect(calledWith(second.calls, "systemctl restart")).toEqual([]);
        expect(second.stdout).not.toContain("wrote ");
        expect(second.stdout).toContain("containerd and Kubernetes 1.36 packages already installed");
        expect([env.CONTAINERD_CONFIG, env.FSTAB, env.MODULES_FILE].map((f) => readFileSync(f, "utf8"))).toEqual(before);

        // Another minor installed: the packages are replaced by the pinned one.
        box.file("kubeadm-version", "v1.35.4");
        const upgrade = box.run("k8s-install.sh", { ...env, KUBERNETES_VERSION: "1.36" });
        expect(calledWith(upgrade.calls, "apt-mark unhold")).toEqual(["apt-mark unhold kubelet kubeadm kubectl"]);
        expect(calledWith(upgrade.calls, "apt-get -o Acquire::Retries=5 -q install -y --no-install-recommends containerd.io")).toHaveLength(1);
    });

    it("adds SystemdCgroup when containerd's defaults lack it, and fails clearly without a runc section", () => {
        const box = sandbox();
        const env = installEnv(box.dir);
        writeFileSync(env.OS_RELEASE, "ID=ubuntu\nVERSION_CODENAME=noble\n");
        box.file("kubeadm-version", "v1.36.1");
        box.file("containerd-default.toml", CONTAINERD_DEFAULT.replace("            SystemdCgroup = false\n", ""));
        const added = box.run("k8s-install.sh", env);
        expect(added.code).toBe(0);
        expect(readFileSync(env.CONTAINERD_CONFIG, "utf8"))
            .toMatch(/runtimes\.runc\.options\]\n {12}SystemdCgroup = true\n {12}BinaryName/);

        box.file("containerd-default.toml", "version = 3\n");
        const failed = box.run("k8s-install.sh", env);
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toContain("cannot set SystemdCgroup");
    });
});

describe("k8s-init.sh", () => {
    const initEnv = (box: ReturnType<typeof sandbox>) => ({
        NODE_NAME: "k8s-cp1", ADVERTISE_ADDR: "10.42.1.10", PUBLIC_ADDR: "203.0.113.10",
        CONTROL_PLANE_ENDPOINT: "k8s-cp1:6443", POD_CIDR: "192.168.0.0/16", KUBELET_DEFAULTS: `${box.dir}/default-kubelet`,
    });

    it("inits once with the lab's addresses, prints no token anywhere, and a second run does nothing", () => {
        const box = sandbox();
        box.file("kubeadm-version", "v1.36.2");
        const env = { ...initEnv(box), UPLOAD_CERTS: "true" };
        const first = box.run("k8s-init.sh", env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "kubeadm init")).toEqual([
            "kubeadm init --node-name k8s-cp1 --apiserver-advertise-address 10.42.1.10 --apiserver-cert-extra-sans 203.0.113.10 " +
            "--control-plane-endpoint k8s-cp1:6443 --pod-network-cidr 192.168.0.0/16 --service-cidr 10.96.0.0/12 " +
            "--kubernetes-version v1.36.2 --skip-token-print --skip-certificate-key-print --upload-certs",
        ]);
        expect(readFileSync(`${box.dir}/default-kubelet`, "utf8")).toBe("KUBELET_EXTRA_ARGS=--node-ip=10.42.1.10\n");
        expectNoSecret(first.stdout + first.stderr);
        expect(existsSync(`${box.k8sDir}/admin.conf`)).toBe(true);
        expect(calledWith(first.calls, "kubectl")).toEqual([]);

        const second = box.run("k8s-init.sh", env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "kubeadm")).toEqual([]);
        expect(second.stderr).toContain("already initialised");
        expect(second.stdout).toBe("control plane k8s-cp1 serves k8s-cp1:6443\n");
    });

    it("clears an unfinished init first, and lifts the control-plane taint only when asked and present", () => {
        const box = sandbox();
        box.file("kubeadm-version", "v1.36.2");
        mkdirSync(`${box.k8sDir}/manifests`, { recursive: true });
        writeFileSync(`${box.k8sDir}/manifests/etcd.yaml`, "kind: Pod\n");
        box.file("taints", "node-role.kubernetes.io/control-plane");
        const result = box.run("k8s-init.sh", { ...initEnv(box), ALLOW_WORKLOADS: "true" });
        expect(result.code).toBe(0);
        expect(result.calls.filter((c) => /^kubeadm (reset|init )|^kubectl taint/.test(c)).map((c) => c.split(" --")[0])).toEqual([
            "kubeadm reset -f", "kubeadm init", "kubectl taint node k8s-cp1 node-role.kubernetes.io/control-plane:NoSchedule-",
        ]);
        expect(calledWith(result.calls, "kubeadm init")[0]).not.toContain("--upload-certs");

        box.file("taints", "");
        const again = box.run("k8s-init.sh", { ...initEnv(box), ALLOW_WORKLOADS: "true" });
        expect(calledWith(again.calls, "kubectl taint")).toEqual([]);
    });
});

describe("k8s-join-command.sh", () => {
    it("prints a fresh token as JSON on stdout only, with a freshly uploaded key for a control plane", () => {
        const box = sandbox();
        const worker = box.run("k8s-join-command.sh", { NODE_NAME: "k8s-w1" });
        expect(worker.code).toBe(0);
        expect(JSON.parse(worker.stdout)).toEqual({ endpoint: "k8s-cp1:6443", token: TOKEN, caCertHash: CA_HASH, certificateKey: "" });
        expect(calledWith(worker.calls, "kubeadm token create")).toEqual([
            "kubeadm token create --ttl 2h --description cluster-lab join of k8s-w1 --print-join-command",
        ]);
        expect(calledWith(worker.calls, "kubeadm init phase")).toEqual([]);
        expect(worker.stderr).toBe("");

        const controlPlane = box.run("k8s-join-command.sh", { NODE_NAME: "k8s-cp2", CONTROL_PLANE: "true" });
        expect(JSON.parse(controlPlane.stdout).certificateKey).toBe(CERT_KEY);
        expect(calledWith(controlPlane.calls, "kubeadm init phase")).toEqual(["kubeadm init phase upload-certs --upload-certs"]);
        expect(controlPlane.stderr).toBe("");
    });

    it("fails without quoting kubeadm's output when it is not a join command", () => {
        const box = sandbox();
        box.file("join-line", `kubeadm join k8s-cp1:6443 --token ${TOKEN}\n`);
        const noHash = box.run("k8s-join-command.sh", { NODE_NAME: "k8s-w1" });
        expect(noHash.code).not.toBe(0);
        expect(noHash.stdout).toBe("");
        expect(noHash.stderr).toContain("did not print a join command of the form");
        expectNoSecret(noHash.stderr);

        box.file("join-line", JOIN_LINE);
        box.file("cert-key", "not-a-key");
        const noKey = box.run("k8s-join-command.sh", { NODE_NAME: "k8s-cp2", CONTROL_PLANE: "true" });
        expect(noKey.code).not.toBe(0);
        expect(noKey.stdout).toBe("");
        expect(noKey.stderr).toContain("did not end with a certificate key");
    });
});

describe("k8s-join.sh", () => {
    const joinEnv = (box: ReturnType<typeof sandbox>) => ({
        NODE_NAME: "k8s-w1", ADVERTISE_ADDR: "10.42.1.11", API_ENDPOINT: "k8s-cp1:6443", JOIN_TOKEN: TOKEN, CA_CERT_HASH: CA_HASH,
        KUBELET_DEFAULTS: `${box.dir}/default-kubelet`,
    });

    it("joins once, is skipped once kubelet.conf exists, and never prints the token", () => {
        const box = sandbox();
        const first = box.run("k8s-join.sh", joinEnv(box));
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "kubeadm")).toEqual([
            `kubeadm join k8s-cp1:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${CA_HASH} --node-name k8s-w1`,
        ]);
        expect(first.stdout).toBe("k8s-w1\n");
        expectNoSecret(first.stdout + first.stderr);
        expect(readFileSync(`${box.dir}/default-kubelet`, "utf8")).toBe("KUBELET_EXTRA_ARGS=--node-ip=10.42.1.11\n");

        const second = box.run("k8s-join.sh", joinEnv(box));
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "kubeadm")).toEqual([]);
        expect(second.stderr).toContain("k8s-w1 is already registered");
    });

    it("joins a control plane with its certificate key and address, after clearing a failed join", () => {
        const box = sandbox();
        mkdirSync(`${box.k8sDir}/pki`, { recursive: true });
        writeFileSync(`${box.k8sDir}/pki/ca.crt`, "cert");
        const env = { ...joinEnv(box), NODE_NAME: "k8s-cp2", ADVERTISE_ADDR: "10.42.1.12", CONTROL_PLANE: "true", CERTIFICATE_KEY: CERT_KEY };
        const result = box.run("k8s-join.sh", env);
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "kubeadm")).toEqual([
            "kubeadm reset -f",
            `kubeadm join k8s-cp1:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${CA_HASH} --node-name k8s-cp2 ` +
            `--control-plane --certificate-key ${CERT_KEY} --apiserver-advertise-address 10.42.1.12`,
        ]);
        expectNoSecret(result.stdout + result.stderr);

        const noKey = sandbox().run("k8s-join.sh", { ...env, CERTIFICATE_KEY: "" });
        expect(noKey.code).not.toBe(0);
        expect(noKey.stderr).toContain("CERTIFICATE_KEY is empty");
    });
});

describe("k8s-cni.sh", () => {
    const FLANNEL = 'kind: ConfigMap\ndata:\n  net-conf.json: |\n    {\n      "Network": "10.244.0.0/16",\n      "Backend": {"Type": "vxlan"}\n    }\n';

    it("sets the pod CIDR in a manifest that hard-codes one, applies it server-side, and waits for the DaemonSet and the node", () => {
        const box = sandbox();
        box.file("manifest", FLANNEL);
        const env = {
            CNI: "flannel", CNI_MANIFEST_URL: CNI_MANIFESTS.flannel.url, CNI_DAEMONSET: "kube-flannel/kube-flannel-ds",
            MANIFEST_POD_CIDR: "10.244.0.0/16", POD_CIDR: "172.20.0.0/16", NODE_NAME: "k8s-cp1", LAB_DIR: box.dir,
        };
        const result = box.run("k8s-cni.sh", env);
        expect(result.code).toBe(0);
        expect(readFileSync(`${box.dir}/cni-flannel.yaml`, "utf8")).toBe(FLANNEL.replace("10.244.0.0/16", "172.20.0.0/16"));
        expect(calledWith(result.calls, "curl")).toEqual([`curl -fsSL --retry 5 -o ${box.dir}/cni-flannel.yaml.download ${CNI_MANIFESTS.flannel.url}`]);
        expect(calledWith(result.calls, "kubectl")).toEqual([
            `kubectl apply --server-side --force-conflicts -f ${box.dir}/cni-flannel.yaml`,
            "kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=600s",
            "kubectl wait --for=condition=Ready node/k8s-cp1 --timeout=600s",
        ]);
        expect(result.stdout).toBe("flannel applied; k8s-cp1 is Ready\n");
    });

    it("applies Calico's manifest untouched, and refuses a manifest without the CIDR it must replace", () => {
        const box = sandbox();
        box.file("manifest", "kind: DaemonSet\n# - name: CALICO_IPV4POOL_CIDR\n#   value: \"192.168.0.0/16\"\n");
        const env = { CNI: "calico", CNI_MANIFEST_URL: CNI_MANIFESTS.calico.url, CNI_DAEMONSET: "kube-system/calico-node", POD_CIDR: "172.20.0.0/16", NODE_NAME: "k8s-cp1", LAB_DIR: box.dir };
        expect(box.run("k8s-cni.sh", env).code).toBe(0);
        expect(readFileSync(`${box.dir}/cni-calico.yaml`, "utf8")).toContain('"192.168.0.0/16"');

        const wrong = box.run("k8s-cni.sh", { ...env, CNI: "flannel", MANIFEST_POD_CIDR: "10.244.0.0/16" });
        expect(wrong.code).not.toBe(0);
        expect(wrong.stderr).toContain('does not contain "10.244.0.0/16": cannot set the pod CIDR 172.20.0.0/16');
        expect(calledWith(wrong.calls, "kubectl")).toEqual([]);
    });
});

describe("k8s membership scripts", () => {
    it("k8s-node-ready.sh waits until the node is Ready, and lifts a control plane's taint when asked", () => {
        const box = sandbox();
        box.file("ready-after", "2");
        box.file("taints", "node-role.kubernetes.io/control-plane");
        const result = box.run("k8s-node-ready.sh", { NODE_NAME: "k8s-cp2", ALLOW_WORKLOADS: "true" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "kubectl get node k8s-cp2 -o jsonpath={.status")).toHaveLength(3);
        expect(calledWith(result.calls, "kubectl taint")).toEqual(["kubectl taint node k8s-cp2 node-role.kubernetes.io/control-plane:NoSchedule-"]);
        expect(result.stdout).toBe("node k8s-cp2 is Ready\n");

        box.file("ready-after", "1000");
        const late = box.run("k8s-node-ready.sh", { NODE_NAME: "k8s-w1", READY_TIMEOUT: "0" });
        expect(late.code).not.toBe(0);
        expect(late.stderr).toContain("node k8s-w1 not Ready within 0s");
    });

    it("k8s-remove-node.sh drains and deletes a worker, and removes a control plane's etcd member too", () => {
        const box = sandbox();
        const worker = box.run("k8s-remove-node.sh", { NODE_NAME: "k8s-w1", ETCD_POD: "etcd-k8s-cp1" });
        expect(worker.code).toBe(0);
        expect(worker.calls.filter((c) => !c.includes("--ignore-not-found"))).toEqual([
            "kubectl drain k8s-w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s",
            "kubectl delete node k8s-w1",
        ]);

        box.file("members", "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n" +
            "2f0d5e6b1a3c4d7e, started, k8s-cp2, https://10.42.1.11:2380, https://10.42.1.11:2379, false\n");
        const controlPlane = box.run("k8s-remove-node.sh", { NODE_NAME: "k8s-cp2", CONTROL_PLANE: "true", ETCD_POD: "etcd-k8s-cp1" });
        expect(controlPlane.code).toBe(0);
        const etcdctl = "kubectl -n kube-system exec etcd-k8s-cp1 -- etcdctl --endpoints=https://127.0.0.1:2379 " +
            "--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key";
        expect(controlPlane.calls.filter((c) => !c.includes("--ignore-not-found"))).toEqual([
            "kubectl drain k8s-cp2 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s",
            `${etcdctl} member list`,
            `${etcdctl} member remove 2f0d5e6b1a3c4d7e`,
            "kubectl delete node k8s-cp2",
        ]);
    });

    it("k8s-remove-node.sh goes on when a drain fails, and does nothing for a node that is gone or an API that is down", () => {
        const box = sandbox();
        box.file("exit-kubectl-drain", "1");
        const stuck = box.run("k8s-remove-node.sh", { NODE_NAME: "k8s-w1", ETCD_POD: "etcd-k8s-cp1", DRAIN_TIMEOUT: "5" });
        expect(stuck.code).toBe(0);
        expect(stuck.stderr).toContain("drain of k8s-w1 failed or took more than 5s; removing it anyway");
        expect(calledWith(stuck.calls, "kubectl delete node")).toEqual(["kubectl delete node k8s-w1"]);

        box.file("node-absent", "");
        const gone = box.run("k8s-remove-node.sh", { NODE_NAME: "k8s-w1", ETCD_POD: "etcd-k8s-cp1" });
        expect(gone.code).toBe(0);
        expect(gone.stdout).toContain("node k8s-w1 is not in the cluster");
        expect(calledWith(gone.calls, "kubectl drain")).toEqual([]);

        box.file("api-down", "");
        const down = box.run("k8s-remove-node.sh", { NODE_NAME: "k8s-w1", ETCD_POD: "etcd-k8s-cp1" });
        expect(down.code).toBe(0);
        expect(down.stderr).toContain("the API server does not answer");
        expect(calledWith(down.calls, "kubectl delete")).toEqual([]);
    });

    it("k8s-kubeconfig.sh prints admin.conf, and fails clearly before init", () => {
        const box = sandbox();
        const missing = box.run("k8s-kubeconfig.sh", { ADMIN_CONF: `${box.dir}/admin.conf` });
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toContain("kubeadm init has not run");
        writeFileSync(`${box.dir}/admin.conf`, "apiVersion: v1\nusers: []\n");
        const read = box.run("k8s-kubeconfig.sh", { ADMIN_CONF: `${box.dir}/admin.conf` });
        expect(read.stdout).toBe("apiVersion: v1\nusers: []\n");
        expect(read.stderr).toBe("");
    });

    it("wait-ready.sh gates a kubernetes node on containerd", () => {
        const box = sandbox();
        const result = box.run("wait-ready.sh", { ENGINE: "containerd" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "ctr version")).toHaveLength(1);
        expect(result.stdout).toContain("ready: containerd answers");
    });
});
