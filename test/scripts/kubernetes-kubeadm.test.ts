// k8s-init.sh and k8s-join.sh run for real against k8s-tools, whose kubeadm writes its files phase
// by phase and can stop at any phase: the states a real half-finished init or join leaves.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { K8S_SCRIPTS } from "../../components/kubernetes/node-scripts";
import { CA_HASH, CERT_KEY, expectNoSecret, k8sBox, TOKEN } from "../support/kubernetes";
import { calledWith, Sandbox } from "../support/sandbox";

const HOSTS =
    "127.0.0.1 localhost\n# BEGIN cluster-lab nodes (managed by Pulumi: edits inside this block are replaced)\n10.42.1.10 k8s-cp1\n# END cluster-lab nodes\n";
const apiLine = (ip: string) => `${ip} k8s-api # cluster-lab pinned`;
const kubeadmCalls = (calls: string[]) => calls.filter((c) => c.startsWith("kubeadm ")).map((c) => c.split(" --")[0]);

function nodeEnv(box: Sandbox) {
    writeFileSync(`${box.dir}/hosts`, HOSTS);
    return {
        KUBELET_DEFAULTS: `${box.dir}/default-kubelet`,
        HOSTS_FILE: `${box.dir}/hosts`,
        LAB_STATE_DIR: `${box.dir}/state`,
        ETCD_DATA_DIR: `${box.dir}/etcd`,
        API_HOST: "k8s-api",
    };
}

describe("k8s-init.sh", () => {
    const initEnv = (box: Sandbox) => ({
        ...nodeEnv(box),
        NODE_NAME: "k8s-cp1",
        INSTANCE_ID: "i-0cp1",
        ADVERTISE_ADDR: "10.42.1.10",
        CONTROL_PLANE_ENDPOINT: "k8s-api:6443",
        CERT_SANS: "k8s-api,k8s-api-0123.elb.ap-northeast-2.amazonaws.com,192.0.2.10,192.0.2.11,192.0.2.12",
        POD_CIDR: "192.168.0.0/16",
    });

    it("inits once naming every SAN, points k8s-api at itself, deletes kubeadm's 24-hour token, and a second run does nothing", () => {
        const box = k8sBox();
        box.file("kubeadm-version", "v1.36.2");
        const env = { ...initEnv(box), UPLOAD_CERTS: "true" };
        const first = box.run(K8S_SCRIPTS.init, env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "kubeadm init")).toEqual([
            "kubeadm init --node-name k8s-cp1 --apiserver-advertise-address 10.42.1.10 " +
                `--apiserver-cert-extra-sans ${env.CERT_SANS} --control-plane-endpoint k8s-api:6443 --pod-network-cidr 192.168.0.0/16 ` +
                "--service-cidr 10.96.0.0/12 --kubernetes-version v1.36.2 --skip-token-print --skip-certificate-key-print --upload-certs",
        ]);
        expect(readFileSync(env.HOSTS_FILE, "utf8")).toBe(HOSTS + apiLine("10.42.1.10") + "\n");
        expect(readFileSync(`${box.dir}/default-kubelet`, "utf8")).toBe(
            "KUBELET_EXTRA_ARGS=--node-ip=10.42.1.10 --node-labels=cluster-lab.dev/instance-id=i-0cp1\n",
        );
        expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-cp1`, "utf8")).toBe("i-0cp1 10.42.1.10 True\n");
        expectNoSecret(first.stdout + first.stderr);
        // kubeadm's default token went, found by its description; the secret half was never read.
        expect(calledWith(first.calls, "kubectl -n kube-system delete")).toEqual([
            "kubectl -n kube-system delete secret bootstrap-token-abcdef",
        ]);
        expect(calledWith(first.calls, "kubectl -n kube-system get secrets")[0]).toContain('{.metadata.name}{" "}{.data.description}');
        expect(existsSync(`${env.LAB_STATE_DIR}/kubeadm-init.done`)).toBe(true);

        box.file("token-secrets", "bootstrap-token-k8sw1x Y2x1c3Rlci1sYWIgam9pbiBvZiBrOHMtdzE=\n"); // a join's token stays
        const second = box.run(K8S_SCRIPTS.init, env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "kubeadm")).toEqual([]);
        expect(calledWith(second.calls, "kubectl -n kube-system delete")).toEqual([]);
        expect(second.stderr).toContain("already initialised");
        expect(second.stdout).toBe("control plane k8s-cp1 serves k8s-api:6443\n");
        expect(readFileSync(env.HOSTS_FILE, "utf8")).toBe(HOSTS + apiLine("10.42.1.10") + "\n");
    });

    it.each(["upload-config", "bootstrap-token", "addon"])(
        "resets and redoes an init that stopped at %s, though admin.conf was written",
        (phase) => {
            const box = k8sBox();
            box.file("kubeadm-version", "v1.36.2");
            box.file("init-fails-at", phase);
            const env = initEnv(box);
            const failed = box.run(K8S_SCRIPTS.init, env);
            expect(failed.code).not.toBe(0);
            // What kubeadm leaves when it stops there: admin.conf, the static pod manifests, etcd's data.
            expect(existsSync(`${box.kubernetesDir}/admin.conf`)).toBe(true);
            expect(existsSync(`${box.kubernetesDir}/manifests/etcd.yaml`)).toBe(true);
            mkdirSync(`${env.ETCD_DATA_DIR}/member`, { recursive: true });
            expect(existsSync(`${env.LAB_STATE_DIR}/kubeadm-init.done`)).toBe(false);

            box.remove("init-fails-at");
            const retried = box.run(K8S_SCRIPTS.init, env);
            expect(retried.code).toBe(0);
            expect(kubeadmCalls(retried.calls).filter((c) => c !== "kubeadm version -o short")).toEqual([
                "kubeadm reset -f",
                "kubeadm init",
            ]);
            expect(retried.stderr).toContain("removing what an unfinished kubeadm init left behind");
            expect(readdirSync(env.ETCD_DATA_DIR)).toEqual([]);
            expect(existsSync(`${env.LAB_STATE_DIR}/kubeadm-init.done`)).toBe(true);

            expect(calledWith(box.run(K8S_SCRIPTS.init, env).calls, "kubeadm")).toEqual([]);
        },
    );

    it("inits again a node reset by hand (the marker stays, admin.conf went), and lifts the control-plane taint only when asked and present", () => {
        const box = k8sBox();
        box.file("kubeadm-version", "v1.36.2");
        const env = initEnv(box);
        expect(box.run(K8S_SCRIPTS.init, env).code).toBe(0);
        box.run(K8S_SCRIPTS.init, env);
        writeFileSync(`${box.dir}/reset.sh`, `rm -rf ${box.kubernetesDir}/*\n`);
        box.exec(["bash", `${box.dir}/reset.sh`]);
        box.file("taints", "node-role.kubernetes.io/control-plane");
        const again = box.run(K8S_SCRIPTS.init, { ...env, ALLOW_WORKLOADS: "true" });
        expect(again.code).toBe(0);
        expect(kubeadmCalls(again.calls)).toContain("kubeadm init");
        expect(calledWith(again.calls, "kubectl taint")).toEqual([
            "kubectl taint node k8s-cp1 node-role.kubernetes.io/control-plane:NoSchedule-",
        ]);
        expect(calledWith(again.calls, "kubeadm init")[0]).not.toContain("--upload-certs");

        box.file("taints", "");
        expect(calledWith(box.run(K8S_SCRIPTS.init, { ...env, ALLOW_WORKLOADS: "true" }).calls, "kubectl taint")).toEqual([]);
    });
});

describe("k8s-join.sh", () => {
    const ADMIN = "apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user: {client-key-data: QURNSU5LRVk=}\n";
    const joinEnv = (box: Sandbox) => ({
        ...nodeEnv(box),
        NODE_NAME: "k8s-w1",
        INSTANCE_ID: "i-0w1",
        ADVERTISE_ADDR: "10.42.1.13",
        API_ENDPOINT: "k8s-api:6443",
        API_ADDRESS: "10.42.1.250",
        JOIN_TOKEN: TOKEN,
        CA_CERT_HASH: CA_HASH,
        RUN_DIR: `${box.dir}/run`,
    });
    const controlPlaneEnv = (box: Sandbox) => ({
        ...joinEnv(box),
        NODE_NAME: "k8s-cp2",
        INSTANCE_ID: "i-0cp2",
        ADVERTISE_ADDR: "10.42.1.11",
        CONTROL_PLANE: "true",
        CERTIFICATE_KEY: CERT_KEY,
        ADMIN_KUBECONFIG: ADMIN,
        ETCD_POD: "etcd-k8s-cp1",
    });
    const withRunDir = (box: Sandbox) => mkdirSync(`${box.dir}/run`, { recursive: true });

    it("joins a worker once from a root-only config file: the token is in no process argument, output or leftover file", () => {
        const box = k8sBox();
        withRunDir(box);
        const env = joinEnv(box);
        const first = box.run(K8S_SCRIPTS.join, env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "kubeadm")).toEqual([
            expect.stringMatching(/^kubeadm join --config .*\/run\/cluster-lab-join\.\w+\/join\.json$/),
        ]);
        for (const call of first.calls) expectNoSecret(call);
        expectNoSecret(first.stdout + first.stderr);
        expect(first.stdout).toBe("k8s-w1\n");
        expect(JSON.parse(readFileSync(`${box.dir}/stub-files/join-config.json`, "utf8"))).toEqual({
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "JoinConfiguration",
            nodeRegistration: { name: "k8s-w1" },
            discovery: { bootstrapToken: { apiServerEndpoint: "k8s-api:6443", token: TOKEN, caCertHashes: [CA_HASH] } },
        });
        expect(readdirSync(`${box.dir}/run`)).toEqual([]);
        expect(readFileSync(env.HOSTS_FILE, "utf8")).toBe(HOSTS + apiLine("10.42.1.250") + "\n");
        expect(readFileSync(`${box.dir}/default-kubelet`, "utf8")).toBe(
            "KUBELET_EXTRA_ARGS=--node-ip=10.42.1.13 --node-labels=cluster-lab.dev/instance-id=i-0w1\n",
        );
        expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-w1`, "utf8")).toBe("i-0w1 10.42.1.13 True\n");
        expect(readFileSync(`${env.LAB_STATE_DIR}/kubeadm-join.done`, "utf8")).toBe(`${CA_HASH}\n`);

        const second = box.run(K8S_SCRIPTS.join, env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "kubeadm")).toEqual([]);
        expect(second.stderr).toContain("k8s-w1 is already joined");

        // A rebuilt first control plane is a new cluster (another CA): the worker joins it anew.
        const rebuilt = box.run(K8S_SCRIPTS.join, { ...env, CA_CERT_HASH: `sha256:${"cd".repeat(32)}` });
        expect(kubeadmCalls(rebuilt.calls)).toEqual(["kubeadm reset -f", "kubeadm join"]);
    });

    it("retries a worker cut off after its kubelet registered: waits until that Node leaves Ready, as kubeadm join requires", () => {
        const box = k8sBox();
        withRunDir(box);
        const env = joinEnv(box);
        expect(box.run(K8S_SCRIPTS.join, env).code).toBe(0);
        rmSync(`${env.LAB_STATE_DIR}/kubeadm-join.done`); // the step was cut off before it recorded the join
        box.file("grace-reads", "3");
        const retried = box.run(K8S_SCRIPTS.join, env);
        expect(retried.code).toBe(0);
        const reads = calledWith(
            retried.calls,
            `kubectl --kubeconfig ${box.kubernetesDir}/kubelet.conf --request-timeout=10s get node k8s-w1`,
        );
        expect(reads).toHaveLength(4);
        expect(retried.calls.indexOf("systemctl stop kubelet")).toBeLessThan(retried.calls.indexOf(reads[0]));
        expect(kubeadmCalls(retried.calls)).toEqual(["kubeadm reset -f", "kubeadm join"]);
        expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-w1`, "utf8")).toBe("i-0w1 10.42.1.13 True\n");

        // A Node that stays Ready has another kubelet behind it: no reset, and what to do.
        rmSync(`${env.LAB_STATE_DIR}/kubeadm-join.done`);
        box.file("grace-reads", "1000");
        const stuck = box.run(K8S_SCRIPTS.join, { ...env, STALE_NODE_TIMEOUT: "0" });
        expect(stuck.code).not.toBe(0);
        expect(stuck.stderr).toContain(
            "cannot join k8s-w1: its Node stays Ready, so another machine runs a kubelet as k8s-w1. On k8s-cp1: kubectl get node k8s-w1 -o wide; " +
                "delete that Node if it is not this instance (i-0w1), then pulumi up again",
        );
        expect(kubeadmCalls(stuck.calls)).toEqual([]);
    });

    it("retries a control plane whose join stopped in its etcd step: removes its learner, waits until its Node leaves Ready, resets, joins", () => {
        const box = k8sBox();
        withRunDir(box);
        box.file("members", "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n");
        box.file("join-fails-at", "etcd");
        const env = controlPlaneEnv(box);
        const failed = box.run(K8S_SCRIPTS.join, env);
        expect(failed.code).not.toBe(0);
        // What that failure leaves: kubelet.conf (the kubelet joined), and a learner that never started.
        expect(existsSync(`${box.kubernetesDir}/kubelet.conf`)).toBe(true);
        expect(readFileSync(`${box.dir}/stub-files/members`, "utf8")).toContain(
            "5a1e000000000001, unstarted, , https://10.42.1.11:2380, , true",
        );

        box.remove("join-fails-at");
        const retried = box.run(K8S_SCRIPTS.join, env);
        expect(retried.code).toBe(0);
        const etcdctl = (kubeconfig: string) =>
            `kubectl --kubeconfig ${kubeconfig} -n kube-system exec etcd-k8s-cp1 -- etcdctl ` +
            "--endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt " +
            "--key=/etc/kubernetes/pki/etcd/server.key";
        const kubeconfig = /--kubeconfig (\S+)/.exec(retried.calls.find((c) => c.includes("member list")) ?? "")?.[1] ?? "(no member list)";
        // Its kubelet registered k8s-cp2 before the etcd step: kubeadm refuses the name while that
        // Node is Ready, which it stays for a while once the kubelet stopped (two reads here).
        const ownNode = `kubectl --kubeconfig ${box.kubernetesDir}/kubelet.conf --request-timeout=10s get node k8s-cp2`;
        expect(
            retried.calls.filter((c) => /^(kubectl|kubeadm|systemctl) /.test(c)).map((c) => c.split(/ --config| -o jsonpath/)[0]),
        ).toEqual([
            `${etcdctl(kubeconfig)} member list`,
            `${etcdctl(kubeconfig)} member remove 5a1e000000000001`,
            "systemctl stop kubelet",
            ownNode,
            ownNode,
            ownNode,
            "kubeadm reset -f",
            "kubeadm join",
        ]);
        expect(retried.stderr).toContain("removing etcd member 5a1e000000000001, left by an earlier join of k8s-cp2");
        // Only its own member went; the admin kubeconfig reached kubectl as a file, removed since.
        expect(readFileSync(`${box.dir}/stub-files/members`, "utf8")).toMatch(/^8e9e05c52164694d, started, k8s-cp1/);
        expect(readFileSync(`${box.dir}/stub-files/kubeconfig-seen`, "utf8").trimEnd()).toBe(ADMIN.trimEnd());
        expect(readdirSync(`${box.dir}/run`)).toEqual([]);
        expect(JSON.parse(readFileSync(`${box.dir}/stub-files/join-config.json`, "utf8")).controlPlane).toEqual({
            localAPIEndpoint: { advertiseAddress: "10.42.1.11", bindPort: 6443 },
            certificateKey: CERT_KEY,
        });
        for (const call of retried.calls) {
            expectNoSecret(call);
            expect(call).not.toContain("QURNSU5LRVk");
        }
        expectNoSecret(retried.stdout + retried.stderr);
        // Joined, the control plane reaches the API at itself.
        expect(readFileSync(env.HOSTS_FILE, "utf8")).toBe(HOSTS + apiLine("10.42.1.11") + "\n");
        const again = box.run(K8S_SCRIPTS.join, env);
        expect(calledWith(again.calls, "kubeadm")).toEqual([]);
        expect(again.stderr).not.toContain("k8s-api points at"); // not even for a moment at the load balancer
    });

    it("removes only the member at its own peer URL: one of its name at another address is a predecessor's, maybe still running", () => {
        const box = k8sBox();
        withRunDir(box);
        box.file(
            "members",
            "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n" +
                "2f0d5e6b1a3c4d7e, started, k8s-cp2, https://10.42.1.99:2380, https://10.42.1.99:2379, false\n" +
                "77aa5e6b1a3c4d7e, started, k8s-cp3, https://10.42.1.12:2380, https://10.42.1.12:2379, false\n" +
                "6b1a5e6b1a3c4d7e, started, k8s-cp2, https://10.42.1.11:2380, https://10.42.1.11:2379, false\n",
        );
        const run = box.run(K8S_SCRIPTS.join, controlPlaneEnv(box));
        expect(run.code).toBe(0);
        expect(run.calls.filter((c) => c.includes("member remove")).map((c) => c.split(" ").pop())).toEqual(["6b1a5e6b1a3c4d7e"]);
        expect(
            readFileSync(`${box.dir}/stub-files/members`, "utf8")
                .split("\n")
                .filter(Boolean)
                .map((l) => l.split(",")[0]),
        ).toEqual(["8e9e05c52164694d", "2f0d5e6b1a3c4d7e", "77aa5e6b1a3c4d7e", "5a1e000000000001"]);
    });

    it("refuses missing or malformed inputs without quoting them", () => {
        const box = k8sBox();
        withRunDir(box);
        const noKey = box.run(K8S_SCRIPTS.join, { ...controlPlaneEnv(box), CERTIFICATE_KEY: "" });
        expect(noKey.code).not.toBe(0);
        expect(noKey.stderr).toContain("cannot join k8s-cp2: CERTIFICATE_KEY empty or malformed");
        const badToken = box.run(K8S_SCRIPTS.join, { ...joinEnv(box), JOIN_TOKEN: 'abcdef.0123456789abcdef","x":"' });
        expect(badToken.stderr).toContain("cannot join k8s-w1: JOIN_TOKEN empty or malformed");
        expectNoSecret(badToken.stderr);
        expect(calledWith([...noKey.calls, ...badToken.calls], "kubeadm")).toEqual([]);
    });

    describe("a replaced node: Pulumi creates the successor, same name, before it deletes the old instance", () => {
        const handOver = (box: Sandbox, env: Record<string, string>) =>
            box.run(K8S_SCRIPTS.joinCommand, {
                NODE_NAME: env.NODE_NAME,
                INSTANCE_ID: env.INSTANCE_ID,
                NODE_ADDR: env.ADVERTISE_ADDR,
                CONTROL_PLANE: env.CONTROL_PLANE ?? "false",
                ETCD_POD: env.ETCD_POD ?? "",
            });
        const oldHook = { ETCD_POD: "etcd-k8s-cp1", DRAIN_TIMEOUT: "5" };

        it("a worker joins once its join command handed the name over (kubeadm refuses it while the old Node is Ready); the old hook leaves it", () => {
            const box = k8sBox();
            withRunDir(box);
            box.file("nodes/k8s-w1", "i-0w1old 10.42.1.13 True\n");
            const successor = { ...joinEnv(box), INSTANCE_ID: "i-0w1new", ADVERTISE_ADDR: "10.42.1.23" };
            const refused = box.run(K8S_SCRIPTS.join, successor);
            expect(refused.code).not.toBe(0);
            expect(refused.stderr).toContain(
                'a Node with name "k8s-w1" and status "Ready" already exists in the cluster. You must delete the existing Node',
            );
            expect(refused.stderr).toContain("pulumi up --replace <urn of k8s-w1-join-command> hands the name over to this one (i-0w1new)");

            const command = handOver(box, successor);
            expect(command.code).toBe(0);
            expect(command.stderr).toContain("handing k8s-w1 over to i-0w1new: draining and deleting the Node of i-0w1old at 10.42.1.13");
            expect(box.run(K8S_SCRIPTS.join, successor).code).toBe(0);
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-w1`, "utf8")).toBe("i-0w1new 10.42.1.23 True\n");

            // At the end of the run the old membership goes: its hook has the old instance's inputs.
            const hook = box.run(K8S_SCRIPTS.removeNode, {
                ...oldHook,
                NODE_NAME: "k8s-w1",
                INSTANCE_ID: "i-0w1old",
                NODE_ADDR: "10.42.1.13",
            });
            expect(hook.code).toBe(0);
            expect(hook.calls.filter((c) => /^kubectl (drain|delete)/.test(c))).toEqual([]);
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-w1`, "utf8")).toBe("i-0w1new 10.42.1.23 True\n");
        });

        it("a NotReady predecessor's Node is handed over too: the new kubelet would take it over with the old instance's label", () => {
            const box = k8sBox();
            withRunDir(box);
            box.file("nodes/k8s-w1", "i-0w1old 10.42.1.13 False\n");
            const successor = { ...joinEnv(box), INSTANCE_ID: "i-0w1new", ADVERTISE_ADDR: "10.42.1.23" };
            expect(box.run(K8S_SCRIPTS.join, successor).code).toBe(0);
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-w1`, "utf8")).toBe("i-0w1old 10.42.1.23 True\n");

            box.file("nodes/k8s-w1", "i-0w1old 10.42.1.13 False\n");
            rmSync(`${successor.LAB_STATE_DIR}/kubeadm-join.done`);
            expect(handOver(box, successor).code).toBe(0);
            expect(box.run(K8S_SCRIPTS.join, successor).code).toBe(0);
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-w1`, "utf8")).toBe("i-0w1new 10.42.1.23 True\n");
        });

        it("a control plane's join command removes only its predecessor's etcd member, by peer URL, then it joins; the old hook leaves it", () => {
            const box = k8sBox();
            withRunDir(box);
            box.file("nodes/k8s-cp2", "i-0cp2old 10.42.1.11 True\n");
            box.file("nodes/k8s-cp3", "i-0cp3 10.42.1.12 True\n");
            box.file(
                "members",
                "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n" +
                    "2f0d5e6b1a3c4d7e, started, k8s-cp2, https://10.42.1.11:2380, https://10.42.1.11:2379, false\n" +
                    "77aa5e6b1a3c4d7e, started, k8s-cp3, https://10.42.1.12:2380, https://10.42.1.12:2379, false\n",
            );
            const successor = { ...controlPlaneEnv(box), INSTANCE_ID: "i-0cp2new", ADVERTISE_ADDR: "10.42.1.21" };
            expect(handOver(box, successor).code).toBe(0);
            const joined = box.run(K8S_SCRIPTS.join, successor);
            expect(joined.code).toBe(0);
            expect(calledWith(joined.calls, "kubectl").filter((c) => c.includes("member remove"))).toEqual([]);
            expect(
                readFileSync(`${box.dir}/stub-files/members`, "utf8")
                    .split("\n")
                    .filter(Boolean)
                    .map((l) => l.split(", ").slice(2, 4).join(" ")),
            ).toEqual(["k8s-cp1 https://10.42.1.10:2380", "k8s-cp3 https://10.42.1.12:2380", " https://10.42.1.21:2380"]);
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-cp2`, "utf8")).toBe("i-0cp2new 10.42.1.21 True\n");
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-cp3`, "utf8")).toBe("i-0cp3 10.42.1.12 True\n");

            const members = readFileSync(`${box.dir}/stub-files/members`, "utf8");
            const hook = box.run(K8S_SCRIPTS.removeNode, {
                ...oldHook,
                NODE_NAME: "k8s-cp2",
                INSTANCE_ID: "i-0cp2old",
                NODE_ADDR: "10.42.1.11",
                CONTROL_PLANE: "true",
            });
            expect(hook.code).toBe(0);
            expect(readFileSync(`${box.dir}/stub-files/members`, "utf8")).toBe(members);
            expect(readFileSync(`${box.dir}/stub-files/nodes/k8s-cp2`, "utf8")).toBe("i-0cp2new 10.42.1.21 True\n");
        });
    });
});
