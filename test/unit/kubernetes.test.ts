// The Kubernetes lab under Pulumi mocks: nodes and steps with the default settings, their order,
// the kubeadm steps' inputs, the kubeconfig and provider, the course's ports, and the sample app.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CNIS } from "../../components/kubernetes/cni";
import { parseJoinCommand, publicKubeconfig } from "../../components/kubernetes/kubeconfig";
import { readScript, shellQuote } from "../../components/remote";
import { K8S_SCRIPTS } from "../../components/kubernetes/node-scripts";
import { NODE_WAITS } from "../../components/timeouts";
import { cloudConfigOf, COMMAND, exported, INSTANCE, isSecretValue, names, runLab, SECURITY_GROUP, stdinOf } from "../harness";

const K8S = { orchestrator: "kubernetes" };

function expectedNodes(controlPlanes: number, workers: number): string[] {
    return [
        ...Array.from({ length: controlPlanes }, (_, i) => `k8s-cp${i + 1}`),
        ...Array.from({ length: workers }, (_, i) => `k8s-w${i + 1}`),
    ];
}

describe("kubernetes resource graph with the default settings", () => {
    it.each([
        [1, 2],
        [3, 2],
    ])("%i control plane(s) + %i workers: nodes, sizes, addresses, steps, provider and app", async (controlPlanes, workers) => {
        const run = await runLab({ ...K8S, ...(controlPlanes === 1 ? {} : { managers: String(controlPlanes) }) });
        const nodes = expectedNodes(controlPlanes, workers);
        const cps = nodes.filter((n) => n.includes("cp"));
        const joined = nodes.slice(1);
        expect(names(run, INSTANCE)).toEqual([...nodes].sort());
        // Control planes sized for kubeadm and the course; workers stay small.
        for (const node of nodes) {
            expect(run.byName(node).inputs.instanceType, node).toBe(node.includes("cp") ? "t3.medium" : "t3.small");
            expect(cloudConfigOf(run.byName(node))).toContain("export KUBERNETES_VERSION='1.36'");
            expect(cloudConfigOf(run.byName(node))).toContain("export CONTAINERD_MAJOR='2'");
        }
        // Control planes keep their address across a stop and start (certificates and the kubeconfig name it).
        expect(names(run, "aws:ec2/eip:Eip")).toEqual(cps.map((n) => `${n}-address`).sort());
        expect(names(run, COMMAND)).toEqual(
            [
                ...nodes.map((n) => `${n}-gate`),
                ...nodes.map((n) => `${n}-hosts`),
                ...joined.flatMap((n) => [`${n}-join-command`, `${n}-join`, `${n}-membership`]),
                ...cps.flatMap((n) => [`${n}-kubectl`, `${n}-service-lb`]),
                "kubeadm-init",
                "kubeadm-cni",
                "kubeadm-kubeconfig",
            ].sort(),
        );
        expect(run.resources.filter((r) => /swarm|stack/.test(r.name))).toEqual([]);
        expect(names(run, "pulumi:providers:kubernetes")).toEqual(["kubeadm-provider"]);
        expect(names(run, "pulumi:index:Stash")).toEqual(
            ["kubernetes-settings", "lab-region", ...nodes.map((n) => `${n}-image-debian-12-amd64`)].sort(),
        );
        expect(names(run, "kubernetes:core/v1:Namespace")).toEqual(["app-namespace"]);
        expect(names(run, "kubernetes:apps/v1:Deployment")).toEqual(["app-nginx"]);
        expect(names(run, "kubernetes:core/v1:Service")).toEqual(["app-nginx-nodeport"]);
        // An API load balancer with three control planes only.
        expect(names(run, "aws:lb/loadBalancer:LoadBalancer")).toEqual(controlPlanes === 3 ? ["k8s-api-nlb"] : []);

        expect(run.outputs.nodes.value.map((n: { name: string; role: string }) => `${n.name}:${n.role}`)).toEqual(
            nodes.map((n) => `${n}:${n.includes("cp") ? "control-plane" : "worker"}`),
        );
        const publicIp = (n: string) => (n.includes("cp") ? run.byName(`${n}-address`).state.publicIp : run.byName(n).state.publicIp);
        expect(run.outputs.nginxUrls.value).toEqual(nodes.map((n) => `http://${publicIp(n)}:30080`));
        expect(Object.keys(run.outputs)).toEqual(expect.arrayContaining(["apiServer", "kubeconfig", "nginxUrls", "nodes", "sshCommands"]));
        expect(run.outputs.loadBalancerUrl).toBeUndefined();
        expect(run.outputs.apiServer).toEqual({
            value:
                controlPlanes === 3
                    ? "https://k8s-api-nlb-0123.elb.ap-northeast-2.amazonaws.com:6443"
                    : `https://${publicIp("k8s-cp1")}:6443`,
            secret: false,
        });
        for (const instance of run.ofType(INSTANCE)) {
            expect(instance.inputs.tags.Role).toBe(instance.name.includes("cp") ? "control-plane" : "worker");
        }
    });

    it("orders gate -> hosts -> init -> CNI -> join command -> join -> Ready -> provider -> app, and each control plane's tools after it serves", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2" });
        const urn = (name: string) => run.byName(name).urn;
        const chain = [
            "k8s-cp1",
            "k8s-cp1-gate",
            "k8s-cp1-hosts",
            "kubeadm-init",
            "kubeadm-cni",
            "k8s-w1-join-command",
            "k8s-w1-join",
            "k8s-w1-membership",
            "kubeadm-provider",
            "app-namespace",
            "app-nginx",
        ];
        for (let i = 1; i < chain.length; i++) {
            expect(run.dependsOn(chain[i]), `${chain[i]} waits for ${chain[i - 1]}`).toContain(urn(chain[i - 1]));
        }
        expect(run.dependsOn("app-nginx-nodeport")).toContain(urn("app-namespace"));
        expect(run.dependsOn("kubeadm-kubeconfig")).toContain(urn("kubeadm-init"));
        expect(run.dependsOn("kubeadm-provider")).toContain(urn("kubeadm-kubeconfig"));

        const workers = ["k8s-w1", "k8s-w2"];
        for (const node of ["k8s-cp2", "k8s-cp3", ...workers]) {
            const join = run.dependsOn(`${node}-join`);
            expect(join).toContain(urn(`${node}-hosts`));
            expect(join).toContain(urn(`${node}-join-command`));
            expect(join).toContain(urn("kubeadm-cni"));
            expect(run.dependsOn("kubeadm-provider")).toContain(urn(`${node}-membership`));
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
        expect(run.dependsOn("app-nginx")).toContain(urn("k8s-cp3-membership"));
        // kubectl and the LoadBalancer controller on a control plane once it serves the API.
        for (const [cp, serving] of [
            ["k8s-cp1", "kubeadm-init"],
            ["k8s-cp2", "k8s-cp2-join"],
            ["k8s-cp3", "k8s-cp3-join"],
        ]) {
            expect(run.dependsOn(`${cp}-kubectl`)).toContain(urn(serving));
            expect(run.dependsOn(`${cp}-service-lb`)).toContain(urn(serving));
        }
    });
});

describe("kubeadm steps", () => {
    it("inits the first control plane with its address, the shared endpoint, the certificate's names and the pod CIDR", async () => {
        const single = await runLab({ ...K8S, workers: "0", podCidr: "172.20.0.0/16" });
        const init = stdinOf(single, "kubeadm-init");
        const cp1 = single.byName("k8s-cp1").state;
        const cp1Address = single.byName("k8s-cp1-address").state.publicIp;
        expect(exported(init, "NODE_NAME")).toBe("k8s-cp1");
        expect(exported(init, "INSTANCE_ID")).toBe(single.byName("k8s-cp1-address").inputs.instance);
        expect(exported(init, "ADVERTISE_ADDR")).toBe(cp1.privateIp);
        expect(exported(init, "CONTROL_PLANE_ENDPOINT")).toBe("k8s-api:6443");
        expect(exported(init, "API_HOST")).toBe("k8s-api");
        expect(exported(init, "CERT_SANS")).toBe(`k8s-api,${cp1Address}`);
        expect(exported(init, "POD_CIDR")).toBe("172.20.0.0/16");
        expect(exported(init, "SERVICE_CIDR")).toBe("10.96.0.0/12");
        expect(exported(init, "UPLOAD_CERTS")).toBe("false");
        expect(exported(init, "ALLOW_WORKLOADS")).toBe("true");
        expect(init).toContain('kubeadm "${args[@]}" >/dev/null');
        expect(single.byName("kubeadm-init").inputs.connection.host).toBe(cp1Address);

        const ha = await runLab({ ...K8S, managers: "3" });
        expect(exported(stdinOf(ha, "kubeadm-init"), "UPLOAD_CERTS")).toBe("true");
        expect(exported(stdinOf(ha, "kubeadm-init"), "ALLOW_WORKLOADS")).toBe("false");
        expect(exported(stdinOf(ha, "kubeadm-init"), "POD_CIDR")).toBe("192.168.0.0/16");
    });

    it.each([
        ["calico", "kube-system/calico-node", "", "192.168.0.0/16"],
        ["flannel", "kube-flannel/kube-flannel-ds", "10.244.0.0/16", "10.244.0.0/16"],
    ])("applies the pinned %s manifest", async (cni, daemonSet, manifestCidr, podCidr) => {
        const run = await runLab({ ...K8S, cni });
        const script = stdinOf(run, "kubeadm-cni");
        const url = exported(script, "CNI_MANIFEST_URL")!;
        expect(url).toMatch(/^https:\/\/(raw\.githubusercontent\.com|github\.com)\//);
        expect(url).toContain(`/${CNIS[cni as "calico"].version}/`);
        expect(CNIS[cni as "calico"].version).toMatch(/^v\d+\.\d+\.\d+$/);
        expect(exported(script, "CNI_DAEMONSET")).toBe(daemonSet);
        expect(exported(script, "MANIFEST_POD_CIDR")).toBe(manifestCidr);
        expect(exported(script, "POD_CIDR")).toBe(podCidr);
        expect(script).toContain("kubectl apply --server-side");
    });

    it("gives every node a fresh join command from the first control plane, and control planes the key and the admin kubeconfig", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2" });
        const tokens = new Set<string>();
        for (const node of ["k8s-cp2", "k8s-cp3", "k8s-w1", "k8s-w2"]) {
            const controlPlane = node.includes("cp");
            const joinCommand = run.byName(`${node}-join-command`);
            expect(joinCommand.inputs.create).toContain(`LAB_NODE=k8s-cp1 LAB_STEP=join-command-for-${node}`);
            expect(joinCommand.inputs.connection.host).toBe(run.byName("k8s-cp1-address").state.publicIp);
            expect(joinCommand.inputs.logging).toBe("stderr");
            // Who joins: the join command hands the name over from another instance of it.
            const instanceId = run.byName(`${node}-join`).inputs.triggers[1];
            expect(instanceId).toMatch(/^i-\d+$/);
            const commandScript = String(joinCommand.inputs.stdin);
            expect(exported(commandScript, "NODE_NAME")).toBe(node);
            expect(exported(commandScript, "INSTANCE_ID")).toBe(instanceId);
            expect(exported(commandScript, "NODE_ADDR")).toBe(run.byName(node).state.privateIp);
            expect(exported(commandScript, "CONTROL_PLANE")).toBe(String(controlPlane));
            expect(exported(commandScript, "ETCD_POD")).toBe(controlPlane ? "etcd-k8s-cp1" : undefined);
            expect(exported(commandScript, "DRAIN_TIMEOUT")).toBe(String(NODE_WAITS.DRAIN_TIMEOUT));
            const printed = JSON.parse(joinCommand.state.stdout);

            const join = run.byName(`${node}-join`);
            const script = String(join.inputs.stdin);
            expect(isSecretValue(join.rawInputs.stdin)).toBe(true);
            expect(exported(script, "JOIN_TOKEN")).toBe(printed.token);
            expect(exported(script, "CA_CERT_HASH")).toBe(printed.caCertHash);
            expect(exported(script, "API_ENDPOINT")).toBe("k8s-api:6443");
            expect(exported(script, "API_HOST")).toBe("k8s-api");
            expect(exported(script, "ADVERTISE_ADDR")).toBe(run.byName(node).state.privateIp);
            expect(exported(script, "INSTANCE_ID")).toBe(instanceId);
            expect(exported(script, "CONTROL_PLANE")).toBe(String(controlPlane));
            expect(exported(script, "CERTIFICATE_KEY")).toBe(controlPlane ? printed.certificateKey : undefined);
            expect(exported(script, "ETCD_POD")).toBe(controlPlane ? "etcd-k8s-cp1" : undefined);
            // The admin kubeconfig reaches control planes only (they get admin credentials anyway).
            expect(script.includes("client-key-data")).toBe(controlPlane);
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
            expect(hook).toContain(`LAB_NODE=k8s-cp1 LAB_STEP=membership-of-${node}-delete`);
            expect(hook).toContain(`export NODE_NAME='\\''${node}'\\''`);
            expect(hook).toContain(`export CONTROL_PLANE='\\''${node.includes("cp")}'\\''`);
            expect(hook).toContain("export ETCD_POD='\\''etcd-k8s-cp1'\\''");
            // Its own instance's id and address: when the node is replaced, the old hook has the old ones.
            expect(hook).toContain(`export INSTANCE_ID='\\''${run.byName(`${node}-join`).inputs.triggers[1]}'\\''`);
            expect(hook).toContain(`export NODE_ADDR='\\''${run.byName(node).state.privateIp}'\\''`);
            expect(hook).toContain('kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data');
            // Replaced with its node's instance only: replacing it runs the hook.
            expect(membership.inputs.triggers).toEqual([run.byName(`${node}-join`).inputs.triggers[1]]);
            expect(membership.inputs.triggers).toEqual([expect.stringMatching(/^i-\d+$/)]);
            // No hook runs on the node itself: an unreachable node must not block destroy.
            expect(run.byName(`${node}-join`).inputs.delete).toBeUndefined();
        }
    });
});

describe("kubeconfig and provider", () => {
    it("reads admin.conf as a secret, names it after the lab, points it at the public endpoint, and builds the provider from it", async () => {
        const run = await runLab({ ...K8S, workers: "1" });
        const read = run.byName("kubeadm-kubeconfig");
        expect(read.inputs.logging).toBe("stderr");
        expect(read.inputs.create).toContain("LAB_NODE=k8s-cp1 LAB_STEP=kubeconfig");

        const output = run.outputs.kubeconfig;
        expect(output.secret).toBe(true);
        const kubeconfig = parse(output.value);
        expect(kubeconfig.clusters).toEqual([
            {
                name: "cluster-lab-dev",
                cluster: expect.objectContaining({ server: `https://${run.byName("k8s-cp1-address").state.publicIp}:6443` }),
            },
        ]);
        expect(kubeconfig.users.map((u: { name: string }) => u.name)).toEqual(["cluster-lab-dev"]);
        expect(kubeconfig.contexts).toEqual([
            { name: "cluster-lab-dev", context: { cluster: "cluster-lab-dev", user: "cluster-lab-dev" } },
        ]);
        expect(kubeconfig["current-context"]).toBe("cluster-lab-dev");
        expect(kubeconfig.users[0].user["client-key-data"]).toBe(parse(read.state.stdout).users[0].user["client-key-data"]);

        const provider = run.byName("kubeadm-provider");
        expect(isSecretValue(provider.rawInputs.kubeconfig)).toBe(true);
        expect(provider.inputs.kubeconfig).toBe(output.value);
    });

    it("renames kubeadm's one cluster, user and context, and never quotes secret text in its errors", () => {
        const admin =
            "clusters:\n- name: kubernetes\n  cluster: {server: 'https://k8s-api:6443'}\nusers:\n- name: kubernetes-admin\n  user: {}\n" +
            "contexts:\n- name: kubernetes-admin@kubernetes\n  context: {cluster: kubernetes, user: kubernetes-admin}\ncurrent-context: kubernetes-admin@kubernetes\n";
        const two = parse(publicKubeconfig(admin, "198.51.100.7", "alice"));
        expect(two.clusters[0]).toEqual({ name: "cluster-lab-alice", cluster: { server: "https://198.51.100.7:6443" } });
        expect(two["current-context"]).toBe("cluster-lab-alice");
        expect(() => publicKubeconfig("kind: Config\n", "1.2.3.4", "dev")).toThrow(/is not kubeadm's admin.conf/);
        // The YAML parser's own message quotes the text around the error: a client key here.
        const broken = "users:\n- user:\n    client-key-data: LS0tSECRETKEY\n  bad: [unclosed\n";
        expect(() => publicKubeconfig(broken, "1.2.3.4", "dev")).toThrow(/is not kubeadm's admin.conf/);
        try {
            publicKubeconfig(broken, "1.2.3.4", "dev");
        } catch (err) {
            expect((err as Error).message).not.toContain("SECRETKEY");
        }
        const leaked = "kubeadm join k8s-api:6443 --token abcdef.0123456789abcdef";
        expect(() => parseJoinCommand(leaked, "k8s-w1")).toThrow(/join command for k8s-w1 is not the JSON/);
        try {
            parseJoinCommand(leaked, "k8s-w1");
        } catch (err) {
            expect((err as Error).message).not.toContain("abcdef");
        }
    });
});

describe("what the course's exercises reach (not run for real: no cluster here)", () => {
    it("opens the NodePorts and the LoadBalancer ports (80, 7070, 8000-8099) to allowedCidr on every node; not the controller manager or scheduler", async () => {
        const run = await runLab(K8S);
        const [group] = run.ofType(SECURITY_GROUP).filter((g) => g.name === "lab-nodes");
        const rule = (from: number) => group.inputs.ingress.find((r: { fromPort: number }) => r.fromPort === from);
        for (const [from, to] of [
            [30000, 32767],
            [80, 80],
            [7070, 7070],
            [8000, 8099],
        ]) {
            expect(rule(from), `${from}-${to}`).toMatchObject({ protocol: "tcp", toPort: to, cidrBlocks: ["198.51.100.0/24"] });
        }
        expect(rule(10257)).toBeUndefined();
        expect(rule(10259)).toBeUndefined();
        expect(rule(10250)).toMatchObject({ self: true });
    });

    it("sets up kubectl for the image's login user and the LoadBalancer controller with every node's addresses, on each control plane", async () => {
        const run = await runLab({ ...K8S, managers: "3", os: "ubuntu-24.04" });
        const lines = ["k8s-cp1", "k8s-cp2", "k8s-cp3"]
            .map((n) => `${n} ${run.byName(`${n}-address`).state.publicIp} ${run.byName(n).state.privateIp}`)
            .concat(["k8s-w1", "k8s-w2"].map((n) => `${n} ${run.byName(n).state.publicIp} ${run.byName(n).state.privateIp}`));
        for (const cp of ["k8s-cp1", "k8s-cp2", "k8s-cp3"]) {
            expect(exported(stdinOf(run, `${cp}-kubectl`), "LOGIN_USER")).toBe("ubuntu");
            const lb = stdinOf(run, `${cp}-service-lb`);
            expect(lb).toContain(`export NODE_ADDRESSES='${lines.join("\n")}'`);
            expect(lb).toContain(`export CONTROLLER=${shellQuote(readScript(K8S_SCRIPTS.serviceLoadBalancerController))}\n`);
            expect(exported(lb, "CLUSTER_PORTS")).toBe(
                "22/tcp 6443/tcp 30000-32767/tcp 2379-2380/tcp 10250/tcp 179/tcp 30000-32767/udp 30000-32767/sctp " +
                    "10256/tcp 10257/tcp 10259/tcp 4789/udp 5473/tcp",
            );
        }
        // Flannel's VXLAN instead of Calico's ports; the LoadBalancer ports are never among them.
        const flannel = exported(stdinOf(await runLab({ ...K8S, cni: "flannel" }), "k8s-cp1-service-lb"), "CLUSTER_PORTS")!.split(" ");
        expect(flannel).toContain("8472/udp");
        expect(flannel.filter((p) => ["179/tcp", "4789/udp", "80/tcp", "8000-8099/tcp", "7070/tcp"].includes(p))).toEqual([]);
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
        expect(container.readinessProbe.httpGet).toEqual({ path: "/", port: "http" });
        expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        const service = run.byName("app-nginx-nodeport").inputs;
        expect(service.spec.type).toBe("NodePort");
        expect(service.spec.ports).toEqual([{ name: "http", protocol: "TCP", port: 80, targetPort: "http", nodePort: 31000 }]);
        expect(run.outputs.nginxUrls.value.every((u: string) => u.endsWith(":31000"))).toBe(true);
        const provider = run.byName("kubeadm-provider");
        for (const object of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            expect(run.dependsOn(object.name)).toContain(provider.urn);
        }
    });
});

describe("lab:sampleApp and lab:form", () => {
    it("forms the cluster without the sample app (nor the provider it uses) with lab:sampleApp false", async () => {
        const run = await runLab({ ...K8S, sampleApp: "false" });
        expect(run.resources.filter((r) => r.type.startsWith("kubernetes:") || r.type === "pulumi:providers:kubernetes")).toEqual([]);
        expect(names(run, COMMAND)).toContain("kubeadm-init");
        expect(run.outputs.kubeconfig.secret).toBe(true);
    });

    it("prepares nodes and forms nothing with lab:form nodes, and prints the kubeadm commands that form this lab", async () => {
        const run = await runLab({ ...K8S, form: "nodes", managers: "3", workers: "2", cni: "flannel", podCidr: "10.200.0.0/16" });
        expect(names(run, COMMAND).filter((n) => !/-(gate|hosts)$/.test(n))).toEqual([]);
        expect(run.resources.filter((r) => r.type.startsWith("aws:lb/") || r.type.startsWith("kubernetes:"))).toEqual([]);
        expect(run.outputs.kubeconfig).toBeUndefined();
        const steps: string = run.outputs.nextSteps.value;
        const cp1 = run.byName("k8s-cp1").state.privateIp;
        expect(steps).toContain(
            `sudo kubeadm init --apiserver-advertise-address ${cp1} --apiserver-cert-extra-sans ${run.byName("k8s-cp1-address").state.publicIp} ` +
                `--pod-network-cidr 10.200.0.0/16 --control-plane-endpoint ${cp1}:6443 --upload-certs`,
        );
        expect(steps).toContain(
            `kubectl apply -f ${CNIS.flannel.url} (download it and set its "Network" to 10.200.0.0/16 first: lab:podCidr)`,
        );
        expect(steps).toContain(
            "4. On k8s-cp2, k8s-cp3, one at a time: sudo <the join command> --control-plane --certificate-key <the key>",
        );
        expect(steps).toContain("5. On k8s-w1, k8s-w2: sudo <the join command>");
        expect(steps).toContain("6. Back on k8s-cp1: kubectl get nodes -o wide");
        expect(steps).not.toMatch(/[a-z0-9]{6}\.[a-z0-9]{16}/);
    });
});
