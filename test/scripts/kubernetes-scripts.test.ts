// The kubeadm node scripts around init and join (join commands, the CNI, memberships, the
// kubeconfig), rendered and run as remote.ts sends them, with k8s-tools standing in for kubeadm,
// kubectl, curl, ... Init, join and the first-boot install have test files of their own.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CNIS } from "../../components/kubernetes/cni";
import { K8S_SCRIPTS } from "../../components/kubernetes/node-scripts";
import { CA_HASH, CERT_KEY, expectNoSecret, JOIN_LINE, k8sBox, TOKEN } from "../support/kubernetes";
import { NODE_WAITS } from "../../components/timeouts";
import { calledWith } from "../support/sandbox";

/** Who joins as k8s-w1 and k8s-cp2 (the instance and its private IP), and whom they replace. */
const W1 = { NODE_NAME: "k8s-w1", INSTANCE_ID: "i-0w1new", NODE_ADDR: "10.42.1.23" };
const CP2 = { NODE_NAME: "k8s-cp2", INSTANCE_ID: "i-0cp2new", NODE_ADDR: "10.42.1.21", CONTROL_PLANE: "true", ETCD_POD: "etcd-k8s-cp1" };
const OLD_W1 = { NODE_NAME: "k8s-w1", INSTANCE_ID: "i-0w1old", NODE_ADDR: "10.42.1.13" };
const OLD_CP2 = { NODE_NAME: "k8s-cp2", INSTANCE_ID: "i-0cp2old", NODE_ADDR: "10.42.1.11" };

describe("k8s-join-command.sh", () => {
    it("prints a fresh token as JSON on stdout only, with a freshly uploaded key for a control plane", () => {
        const box = k8sBox();
        const worker = box.run(K8S_SCRIPTS.joinCommand, W1);
        expect(worker.code).toBe(0);
        expect(JSON.parse(worker.stdout)).toEqual({ endpoint: "k8s-api:6443", token: TOKEN, caCertHash: CA_HASH, certificateKey: "" });
        expect(calledWith(worker.calls, "kubeadm token create")).toEqual([
            "kubeadm token create --ttl 2h --description cluster-lab join of k8s-w1 --print-join-command",
        ]);
        expect(calledWith(worker.calls, "kubeadm init phase")).toEqual([]);
        expect(worker.stderr).toBe("");

        const controlPlane = box.run(K8S_SCRIPTS.joinCommand, CP2);
        expect(JSON.parse(controlPlane.stdout).certificateKey).toBe(CERT_KEY);
        expect(calledWith(controlPlane.calls, "kubeadm init phase")).toEqual(["kubeadm init phase upload-certs --upload-certs"]);
        expect(controlPlane.stderr).toBe("");
    });

    it("fails without quoting kubeadm's output when it is not a join command", () => {
        const box = k8sBox();
        box.file("join-line", `kubeadm join k8s-api:6443 --token ${TOKEN}\n`);
        const noHash = box.run(K8S_SCRIPTS.joinCommand, W1);
        expect(noHash.code).not.toBe(0);
        expect(noHash.stdout).toBe("");
        expect(noHash.stderr).toContain("did not print a join command of the form");
        expectNoSecret(noHash.stderr);

        box.file("join-line", JOIN_LINE);
        box.file("cert-key", "not-a-key");
        const noKey = box.run(K8S_SCRIPTS.joinCommand, CP2);
        expect(noKey.code).not.toBe(0);
        expect(noKey.stdout).toBe("");
        expect(noKey.stderr).toContain("did not end with a certificate key");
    });
});

describe("k8s-join-command.sh hands a node's name over to its successor", () => {
    it("leaves the Node of this very instance, and a Node joined before the label existed at this address", () => {
        const box = k8sBox();
        box.file("nodes/k8s-w1", "i-0w1new 10.42.1.23 True\n");
        box.file("nodes/k8s-w2", "- 10.42.1.24 True\n");
        for (const env of [W1, { NODE_NAME: "k8s-w2", INSTANCE_ID: "i-0w2", NODE_ADDR: "10.42.1.24" }]) {
            const run = box.run(K8S_SCRIPTS.joinCommand, env);
            expect(run.code).toBe(0);
            expect(calledWith(run.calls, "kubectl get node")).toEqual([
                `kubectl get node ${env.NODE_NAME} --ignore-not-found -o jsonpath=` +
                    '{.metadata.labels.cluster-lab\\.dev/instance-id}{"|"}{.status.addresses[?(@.type=="InternalIP")].address}',
            ]);
            expect(run.calls.filter((c) => /^kubectl (drain|delete)/.test(c))).toEqual([]);
            expect(run.stderr).toBe("");
        }
        // Without the label, another address is another instance.
        const other = box.run(K8S_SCRIPTS.joinCommand, { NODE_NAME: "k8s-w2", INSTANCE_ID: "i-0w2", NODE_ADDR: "10.42.1.34" });
        expect(calledWith(other.calls, "kubectl delete")).toEqual(["kubectl delete node k8s-w2"]);
        expect(other.stderr).toContain("handing k8s-w2 over to i-0w2: draining and deleting the Node of the instance at 10.42.1.24");
    });

    it("drains and deletes a predecessor's Node, Ready or not, even when the drain fails, with nothing but the JSON on stdout", () => {
        const box = k8sBox();
        box.file("nodes/k8s-w1", "i-0w1old 10.42.1.13 False\n");
        box.file("exit-kubectl-drain", "1");
        const run = box.run(K8S_SCRIPTS.joinCommand, { ...W1, DRAIN_TIMEOUT: "5" });
        expect(run.code).toBe(0);
        expect(run.calls.filter((c) => /^kubectl (drain|delete)/.test(c))).toEqual([
            "kubectl drain k8s-w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=5s",
            "kubectl delete node k8s-w1",
        ]);
        expect(run.stderr).toContain("drain of k8s-w1 failed or took more than 5s; deleting it anyway");
        expect(JSON.parse(run.stdout).token).toBe(TOKEN);
        expect(existsSync(`${box.dir}/stub-files/nodes/k8s-w1`)).toBe(false);
    });

    it("removes a control plane predecessor's etcd member by the peer URL of its Node's address, and no other", () => {
        const box = k8sBox();
        box.file("nodes/k8s-cp2", "i-0cp2old 10.42.1.11 True\n");
        const members =
            "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n" +
            "2f0d5e6b1a3c4d7e, started, k8s-cp2, https://10.42.1.11:2380, https://10.42.1.11:2379, false\n" +
            "77aa5e6b1a3c4d7e, started, k8s-cp3, https://10.42.1.12:2380, https://10.42.1.12:2379, false\n";
        box.file("members", members);
        const run = box.run(K8S_SCRIPTS.joinCommand, CP2);
        expect(run.code).toBe(0);
        expect(run.calls.filter((c) => c.includes("member remove")).map((c) => c.split(" ").pop())).toEqual(["2f0d5e6b1a3c4d7e"]);
        expect(readFileSync(`${box.dir}/stub-files/members`, "utf8")).toBe(members.replace(/^2f0d.*\n/m, ""));
        expect(run.stderr).toContain("removing etcd member 2f0d5e6b1a3c4d7e (k8s-cp2 at 10.42.1.11)");
        expect(JSON.parse(run.stdout).certificateKey).toBe(CERT_KEY);
    });

    it("fails, saying what to do, when the API does not answer", () => {
        const box = k8sBox();
        box.file("api-down", "");
        const run = box.run(K8S_SCRIPTS.joinCommand, W1);
        expect(run.code).not.toBe(0);
        expect(run.stdout).toBe("");
        expect(run.stderr).toContain(
            "cannot read Node k8s-w1 from the API here: check kubectl get nodes on this control plane, then pulumi up again",
        );
        expect(calledWith(run.calls, "kubeadm")).toEqual([]);
    });
});

describe("k8s-cni.sh", () => {
    const FLANNEL =
        'kind: ConfigMap\ndata:\n  net-conf.json: |\n    {\n      "Network": "10.244.0.0/16",\n      "Backend": {"Type": "vxlan"}\n    }\n';

    it("sets the pod CIDR in a manifest that hard-codes one, applies it server-side, and waits for the DaemonSet and the node", () => {
        const box = k8sBox();
        box.file("manifest", FLANNEL);
        const env = {
            CNI: "flannel",
            CNI_MANIFEST_URL: CNIS.flannel.url,
            CNI_DAEMONSET: "kube-flannel/kube-flannel-ds",
            MANIFEST_POD_CIDR: "10.244.0.0/16",
            POD_CIDR: "172.20.0.0/16",
            NODE_NAME: "k8s-cp1",
            LAB_DIR: box.dir,
        };
        const result = box.run(K8S_SCRIPTS.cni, env);
        expect(result.code).toBe(0);
        expect(readFileSync(`${box.dir}/cni-flannel.yaml`, "utf8")).toBe(FLANNEL.replace("10.244.0.0/16", "172.20.0.0/16"));
        expect(calledWith(result.calls, "curl")).toEqual([
            `curl -fsSL --retry 5 -o ${box.dir}/cni-flannel.yaml.download ${CNIS.flannel.url}`,
        ]);
        expect(calledWith(result.calls, "kubectl")).toEqual([
            `kubectl apply --server-side --force-conflicts -f ${box.dir}/cni-flannel.yaml`,
            "kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=600s",
            "kubectl wait --for=condition=Ready node/k8s-cp1 --timeout=600s",
        ]);
        expect(result.stdout).toBe("flannel applied; k8s-cp1 is Ready\n");
    });

    it("applies Calico's manifest untouched, and refuses a manifest without the CIDR it must replace", () => {
        const box = k8sBox();
        box.file("manifest", 'kind: DaemonSet\n# - name: CALICO_IPV4POOL_CIDR\n#   value: "192.168.0.0/16"\n');
        const env = {
            CNI: "calico",
            CNI_MANIFEST_URL: CNIS.calico.url,
            CNI_DAEMONSET: "kube-system/calico-node",
            POD_CIDR: "172.20.0.0/16",
            NODE_NAME: "k8s-cp1",
            LAB_DIR: box.dir,
        };
        expect(box.run(K8S_SCRIPTS.cni, env).code).toBe(0);
        expect(readFileSync(`${box.dir}/cni-calico.yaml`, "utf8")).toContain('"192.168.0.0/16"');

        const wrong = box.run(K8S_SCRIPTS.cni, { ...env, CNI: "flannel", MANIFEST_POD_CIDR: "10.244.0.0/16" });
        expect(wrong.code).not.toBe(0);
        expect(wrong.stderr).toContain('does not contain "10.244.0.0/16": cannot set the pod CIDR 172.20.0.0/16');
        expect(calledWith(wrong.calls, "kubectl")).toEqual([]);
    });
});

describe("k8s membership scripts", () => {
    it("k8s-node-ready.sh waits until the node is Ready, and lifts a control plane's taint when asked", () => {
        const box = k8sBox();
        box.file("nodes/k8s-cp2", "i-0cp2 10.42.1.11 True\n");
        box.file("nodes/k8s-cp2.ready-after", "2");
        box.file("taints", "node-role.kubernetes.io/control-plane");
        const result = box.run(K8S_SCRIPTS.nodeReady, { NODE_NAME: "k8s-cp2", ALLOW_WORKLOADS: "true" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "kubectl get node k8s-cp2 -o jsonpath={.status")).toHaveLength(3);
        expect(calledWith(result.calls, "kubectl taint")).toEqual([
            "kubectl taint node k8s-cp2 node-role.kubernetes.io/control-plane:NoSchedule-",
        ]);
        expect(result.stdout).toBe("node k8s-cp2 is Ready\n");

        box.file("nodes/k8s-w1", "i-0w1 10.42.1.13 True\n");
        box.file("nodes/k8s-w1.ready-after", "1000");
        const late = box.run(K8S_SCRIPTS.nodeReady, { NODE_NAME: "k8s-w1", NODE_READY_TIMEOUT: "0" });
        expect(late.code).not.toBe(0);
        expect(late.stderr).toContain("gave up after 0s waiting for node k8s-w1 to be Ready");
    });

    it("k8s-remove-node.sh drains and deletes a worker, and removes a control plane's etcd member too", () => {
        const box = k8sBox();
        box.file("nodes/k8s-w1", "i-0w1old 10.42.1.13 True\n");
        box.file("nodes/k8s-cp2", "i-0cp2old 10.42.1.11 True\n");
        const worker = box.run(K8S_SCRIPTS.removeNode, { ...OLD_W1, ETCD_POD: "etcd-k8s-cp1" });
        expect(worker.code).toBe(0);
        expect(worker.calls.filter((c) => !c.includes("--ignore-not-found"))).toEqual([
            `kubectl drain k8s-w1 --ignore-daemonsets --delete-emptydir-data --force --timeout=${NODE_WAITS.DRAIN_TIMEOUT}s`,
            "kubectl delete node k8s-w1",
        ]);

        box.file(
            "members",
            "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n" +
                "2f0d5e6b1a3c4d7e, started, k8s-cp2, https://10.42.1.11:2380, https://10.42.1.11:2379, false\n",
        );
        const controlPlane = box.run(K8S_SCRIPTS.removeNode, { ...OLD_CP2, CONTROL_PLANE: "true", ETCD_POD: "etcd-k8s-cp1" });
        expect(controlPlane.code).toBe(0);
        const etcdctl =
            "kubectl -n kube-system exec etcd-k8s-cp1 -- etcdctl --endpoints=https://127.0.0.1:2379 " +
            "--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key";
        expect(controlPlane.calls.filter((c) => !c.includes("--ignore-not-found"))).toEqual([
            `kubectl drain k8s-cp2 --ignore-daemonsets --delete-emptydir-data --force --timeout=${NODE_WAITS.DRAIN_TIMEOUT}s`,
            `${etcdctl} member list`,
            `${etcdctl} member remove 2f0d5e6b1a3c4d7e`,
            "kubectl delete node k8s-cp2",
        ]);
    });

    it("k8s-remove-node.sh goes on when a drain fails, and does nothing for a node that is gone or an API that is down", () => {
        const box = k8sBox();
        box.file("nodes/k8s-w1", "i-0w1old 10.42.1.13 True\n");
        box.file("exit-kubectl-drain", "1");
        const stuck = box.run(K8S_SCRIPTS.removeNode, { ...OLD_W1, ETCD_POD: "etcd-k8s-cp1", DRAIN_TIMEOUT: "5" });
        expect(stuck.code).toBe(0);
        expect(stuck.stderr).toContain("drain of k8s-w1 failed or took more than 5s; removing it anyway");
        expect(calledWith(stuck.calls, "kubectl delete node")).toEqual(["kubectl delete node k8s-w1"]);

        const gone = box.run(K8S_SCRIPTS.removeNode, { ...OLD_W1, ETCD_POD: "etcd-k8s-cp1" });
        expect(gone.code).toBe(0);
        expect(gone.stdout).toContain("node k8s-w1 is not in the cluster");
        expect(calledWith(gone.calls, "kubectl drain")).toEqual([]);

        box.file("api-down", "");
        const down = box.run(K8S_SCRIPTS.removeNode, { ...OLD_W1, ETCD_POD: "etcd-k8s-cp1" });
        expect(down.code).toBe(0);
        expect(down.stderr).toContain("the API server does not answer");
        expect(calledWith(down.calls, "kubectl delete")).toEqual([]);
    });

    it("k8s-remove-node.sh of a replaced node leaves its successor's Node and etcd member alone", () => {
        const box = k8sBox();
        box.file("nodes/k8s-w1", "i-0w1new 10.42.1.23 True\n");
        box.file("nodes/k8s-cp2", "i-0cp2new 10.42.1.21 True\n");
        box.file("nodes/k8s-w2", "- 10.42.1.24 True\n"); // joined before the label: told by its address
        const members =
            "8e9e05c52164694d, started, k8s-cp1, https://10.42.1.10:2380, https://10.42.1.10:2379, false\n" +
            "3c0ffee000000002, started, k8s-cp2, https://10.42.1.21:2380, https://10.42.1.21:2379, false\n";
        box.file("members", members);
        for (const env of [
            OLD_W1,
            { ...OLD_CP2, CONTROL_PLANE: "true" },
            { NODE_NAME: "k8s-w2", INSTANCE_ID: "i-0w2", NODE_ADDR: "10.42.1.14" },
        ]) {
            const run = box.run(K8S_SCRIPTS.removeNode, { ...env, ETCD_POD: "etcd-k8s-cp1" });
            expect(run.code).toBe(0);
            expect(run.calls.filter((c) => !c.includes("--ignore-not-found"))).toEqual([]);
            expect(run.stdout).toMatch(
                new RegExp(`^node ${env.NODE_NAME} is now .* at .*, which replaced ${env.INSTANCE_ID}: left alone\n$`),
            );
        }
        expect(readFileSync(`${box.dir}/stub-files/members`, "utf8")).toBe(members);

        // Its own member goes, by peer URL, even when its Node is gone already; a successor's never.
        box.file("members", members + "2f0d5e6b1a3c4d7e, started, k8s-cp3, https://10.42.1.12:2380, https://10.42.1.12:2379, false\n");
        const cp3 = box.run(K8S_SCRIPTS.removeNode, {
            NODE_NAME: "k8s-cp3",
            INSTANCE_ID: "i-0cp3",
            NODE_ADDR: "10.42.1.12",
            CONTROL_PLANE: "true",
            ETCD_POD: "etcd-k8s-cp1",
        });
        expect(cp3.stdout).toContain("node k8s-cp3 is not in the cluster");
        expect(cp3.calls.filter((c) => c.includes("member remove")).map((c) => c.split(" ").pop())).toEqual(["2f0d5e6b1a3c4d7e"]);
        expect(readFileSync(`${box.dir}/stub-files/members`, "utf8")).toBe(members);
    });

    it("k8s-kubeconfig.sh prints admin.conf, and fails clearly before init", () => {
        const box = k8sBox();
        const missing = box.run(K8S_SCRIPTS.kubeconfig, { ADMIN_CONF: `${box.dir}/admin.conf` });
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toContain("kubeadm init has not run");
        writeFileSync(`${box.dir}/admin.conf`, "apiVersion: v1\nusers: []\n");
        const read = box.run(K8S_SCRIPTS.kubeconfig, { ADMIN_CONF: `${box.dir}/admin.conf` });
        expect(read.stdout).toBe("apiVersion: v1\nusers: []\n");
        expect(read.stderr).toBe("");
    });
});
