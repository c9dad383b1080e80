// What the course's Kubernetes exercises find on a control plane (`kubectl run`, `kubectl create
// deployment`, `kubectl scale`, `kubectl expose --type=NodePort|LoadBalancer` as the login user):
// the user's own kubectl setup, and the LoadBalancer controller, run for real against a stub
// kubectl. Not run against a real cluster: none can be formed where these tests run.
import { userInfo } from "node:os";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { KubernetesConfig } from "../../components/kubernetes/config";
import { K8S_SCRIPTS } from "../../components/kubernetes/node-scripts";
import { nodeAddressPorts } from "../../components/kubernetes/ports";
import { readScript, NODE_SCRIPTS, scriptIn } from "../../components/remote";
import { k8sBox } from "../support/kubernetes";
import { calledWith, Sandbox } from "../support/sandbox";

const ADDRESSES = "k8s-cp1 192.0.2.10 10.42.1.10\nk8s-w1 203.0.113.11 10.42.1.11\nk8s-w2 203.0.113.12 10.42.1.12\n";
const INGRESS = "192.0.2.10,203.0.113.11,203.0.113.12,10.42.1.10,10.42.1.11,10.42.1.12";
/** One line of the controller's `kubectl get services` (SERVICES in the script). */
function service(key: string, ports: string, more: { at?: string; lbClass?: string; policy?: string; ingress?: string } = {}): string {
    const [namespace, name] = key.split("/");
    const { at = "2026-11-24T10:00:00Z", lbClass = "", policy = "Cluster", ingress = "" } = more;
    return [at, namespace, name, lbClass, policy, `${ports} `, ingress].join("|");
}
/** The ports the program gives the controller for a lab with this CNI. */
const clusterPorts = (cni: "calico" | "flannel") => nodeAddressPorts({ cni, managers: 1 } as KubernetesConfig).join(" ");

describe("the login user's kubectl on a control plane (k8s-login-kubectl.sh)", () => {
    const loginEnv = (box: Sandbox) => {
        mkdirSync(`${box.dir}/home`, { recursive: true });
        writeFileSync(`${box.dir}/home/.bashrc`, "# ~/.bashrc\n");
        writeFileSync(`${box.dir}/admin.conf`, "apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: 'https://k8s-api:6443'}\n");
        return {
            LOGIN_USER: userInfo().username,
            LOGIN_HOME: `${box.dir}/home`,
            ADMIN_CONF: `${box.dir}/admin.conf`,
            COMPLETION_FILE: `${box.dir}/completion/kubectl`,
        };
    };

    it("gives the user its own ~/.kube/config (600, owned by it), completion and the alias k, once; a new admin.conf is copied again", () => {
        const box = k8sBox();
        const env = loginEnv(box);
        const first = box.run(K8S_SCRIPTS.loginKubectl, env);
        expect(first.code).toBe(0);
        const config = `${env.LOGIN_HOME}/.kube/config`;
        expect(readFileSync(config, "utf8")).toBe(readFileSync(env.ADMIN_CONF, "utf8"));
        expect(statSync(config).mode & 0o777).toBe(0o600);
        expect(statSync(`${env.LOGIN_HOME}/.kube`).mode & 0o777).toBe(0o700);
        expect(statSync(config).uid).toBe(userInfo().uid);
        expect(readFileSync(env.COMPLETION_FILE, "utf8")).toBe("# bash completion for kubectl\n");
        expect(readFileSync(`${env.LOGIN_HOME}/.bashrc`, "utf8")).toBe(
            "# ~/.bashrc\n# BEGIN cluster-lab kubectl\nalias k=kubectl\ncomplete -o default -F __start_kubectl k\n# END cluster-lab kubectl\n",
        );
        expect(first.stdout).not.toContain("client-key");

        const second = box.run(K8S_SCRIPTS.loginKubectl, env);
        expect(second.code).toBe(0);
        expect(second.stdout).toBe("kubectl ready for " + env.LOGIN_USER + "\n");
        expect(readFileSync(`${env.LOGIN_HOME}/.bashrc`, "utf8").match(/alias k=kubectl/g)).toHaveLength(1);

        writeFileSync(env.ADMIN_CONF, "apiVersion: v1\nkind: Config\n# renewed\n");
        expect(box.run(K8S_SCRIPTS.loginKubectl, env).stdout).toContain(`wrote ${config}`);
        expect(readFileSync(config, "utf8")).toContain("# renewed");
    });

    it("fails clearly before the node serves the API", () => {
        const box = k8sBox();
        const env = loginEnv(box);
        const run = box.run(K8S_SCRIPTS.loginKubectl, { ...env, ADMIN_CONF: `${box.dir}/missing.conf` });
        expect(run.code).not.toBe(0);
        expect(run.stderr).toContain("missing.conf is missing: this node is not a control plane yet");
    });
});

describe("the LoadBalancer controller (service-lb-controller.sh), one pass against a stub kubectl", () => {
    const controllerEnv = (box: Sandbox, cni: "calico" | "flannel" = "calico") => {
        writeFileSync(`${box.dir}/addresses`, ADDRESSES);
        return { ADDRESSES_FILE: `${box.dir}/addresses`, ONCE: "true", CLUSTER_PORTS: clusterPorts(cni) };
    };
    const patched = (calls: string[]) => calls.filter((c) => / patch service /.test(c)).map((c) => c.split(" ")[5]);

    it("gives a pending LoadBalancer Service every node's public then private address; leaves done, foreign and cluster-port Services", () => {
        const box = k8sBox();
        box.file(
            "services",
            [
                service("default/nginx", "80/TCP"), // kubectl expose deployment nginx --type=LoadBalancer --port=80
                service("default/done", "8080/TCP", { ingress: INGRESS.replaceAll(",", " ") }), // already has them
                service("other/metal", "80/TCP", { lbClass: "example.com/lb" }), // another loadBalancerClass
                service("default/sneaky", "9000/TCP 6443/TCP"), // would take the API's port
            ].join("\n") + "\n",
        );
        const run = box.run(K8S_SCRIPTS.serviceLoadBalancerController, controllerEnv(box));
        expect(run.code).toBe(0);
        const [get] = calledWith(run.calls, "kubectl get services");
        expect(get).toContain("--all-namespaces");
        expect(get).toContain('?(@.spec.type=="LoadBalancer")');
        const ingress = INGRESS.split(",").map((ip) => ({ ip }));
        expect(calledWith(run.calls, "kubectl -n")).toEqual([
            `kubectl -n default patch service nginx --subresource=status --type=merge -p ${JSON.stringify({ status: { loadBalancer: { ingress } } })}`,
        ]);
        expect(run.stdout).toBe(`default/nginx: load balancer addresses ${INGRESS}\n`);
        expect(run.stderr).toContain("default/sneaky: port 6443/TCP is one the nodes' addresses serve: no address given");
    });

    it("refuses the ports the nodes serve for the lab's CNI, by protocol: its VXLAN, NodePorts, the controllers", () => {
        const box = k8sBox();
        const services = (ports: string[]) => ports.map((p, i) => service(`default/s${i}`, p)).join("\n") + "\n";
        box.file("services", services(["8472/UDP", "8472/TCP", "4789/UDP", "30080/TCP", "30080/UDP", "10257/TCP", "179/TCP", "5473/TCP"]));
        const flannel = box.run(K8S_SCRIPTS.serviceLoadBalancerController, controllerEnv(box, "flannel"));
        expect(patched(flannel.calls)).toEqual(["s1", "s2", "s6", "s7"]);
        expect(flannel.stderr).toContain("default/s0: port 8472/UDP is one the nodes' addresses serve");
        expect(flannel.stderr).toContain("default/s4: port 30080/UDP is one the nodes' addresses serve");

        const calico = box.run(K8S_SCRIPTS.serviceLoadBalancerController, controllerEnv(box, "calico"));
        expect(patched(calico.calls)).toEqual(["s0", "s1"]);
        expect(calico.stderr).toContain("default/s2: port 4789/UDP is one the nodes' addresses serve");
        expect(calico.stderr).toContain("default/s7: port 5473/TCP is one the nodes' addresses serve");
    });

    it("gives a port and protocol to the oldest Service (then by name) only, says why to the others, and clears one that lost it", () => {
        const box = k8sBox();
        const ingress = INGRESS.replaceAll(",", " ");
        box.file(
            "services",
            [
                service("default/web", "80/TCP", { at: "2026-11-24T10:05:00Z", ingress }), // had the addresses
                service("lab/old", "80/TCP 443/TCP", { at: "2026-11-24T10:00:00Z" }),
                service("default/b-twin", "8080/TCP", { at: "2026-11-24T10:07:00Z" }),
                service("default/a-twin", "8080/TCP", { at: "2026-11-24T10:07:00Z" }),
                service("default/dns", "80/UDP", { at: "2026-11-24T10:09:00Z" }), // another protocol
                service("default/late", "443/TCP 8081/TCP", { at: "2026-11-24T10:09:00Z" }),
                service("default/after", "8081/TCP", { at: "2026-11-24T10:10:00Z" }), // late took none
            ].join("\n") + "\n",
        );
        const env = { ...controllerEnv(box), ONCE: "true" };
        const run = box.run(K8S_SCRIPTS.serviceLoadBalancerController, env);
        expect(run.code).toBe(0);
        expect(patched(run.calls)).toEqual(["old", "web", "a-twin", "dns", "after"]);
        expect(calledWith(run.calls, "kubectl -n default patch service web")[0]).toContain(
            `-p {"status":{"loadBalancer":{"ingress":null}}}`,
        );
        expect(run.stdout).toContain("default/web: load balancer addresses removed\n");
        expect(run.stderr.split("\n").filter(Boolean)).toEqual([
            "default/web: port 80/TCP is taken by lab/old: no address given",
            "default/b-twin: port 8080/TCP is taken by default/a-twin: no address given",
            "default/late: port 443/TCP is taken by lab/old: no address given",
        ]);
    });

    it("with externalTrafficPolicy Local, gives only the nodes with a ready endpoint of the Service", () => {
        const box = k8sBox();
        box.file(
            "services",
            service("default/web", "80/TCP", { policy: "Local" }) + "\n" + service("default/idle", "81/TCP", { policy: "Local" }) + "\n",
        );
        box.file("endpoints/default/web", "k8s-w2 true\nk8s-w1 false\nk8s-w2 true\n k8s-cp1 true\nk8s-cp1 \n");
        const run = box.run(K8S_SCRIPTS.serviceLoadBalancerController, controllerEnv(box));
        expect(run.code).toBe(0);
        expect(calledWith(run.calls, "kubectl -n default get endpointslices")[1]).toMatch(
            /^kubectl -n default get endpointslices -l kubernetes.io\/service-name=web -o jsonpath=.*\.conditions\.ready/,
        );
        // k8s-cp1: an endpoint without a ready condition counts as ready, as kube-proxy counts it.
        expect(run.stdout).toContain("default/web: load balancer addresses 192.0.2.10,203.0.113.12,10.42.1.10,10.42.1.12\n");
        expect(patched(run.calls)).toEqual(["web"]);
        expect(run.stderr).toContain("default/idle: no node has a ready endpoint (externalTrafficPolicy Local): no address given");
    });

    it("changes a Service whose addresses are stale (a worker left), and survives a pass that fails", () => {
        const box = k8sBox();
        box.file(
            "services",
            service("default/nginx", "80/TCP", {
                ingress: "192.0.2.10 203.0.113.11 203.0.113.12 203.0.113.13 10.42.1.10 10.42.1.11 10.42.1.12 10.42.1.13",
            }) + "\n",
        );
        const env = controllerEnv(box);
        expect(calledWith(box.run(K8S_SCRIPTS.serviceLoadBalancerController, env).calls, "kubectl -n default patch")).toHaveLength(1);

        writeFileSync(env.ADDRESSES_FILE, "");
        const empty = box.run(K8S_SCRIPTS.serviceLoadBalancerController, env);
        expect(empty.code).toBe(0);
        expect(empty.stderr).toContain("pass failed; trying again in 5s");
        expect(calledWith(empty.calls, "kubectl")).toEqual([]);
    });
});

describe("k8s-service-lb.sh installs the controller as a systemd service on a control plane", () => {
    it("writes the controller, the addresses and the unit; restarts only for a new controller or unit", () => {
        const box = k8sBox();
        const env = {
            CONTROLLER: readScript(K8S_SCRIPTS.serviceLoadBalancerController),
            NODE_ADDRESSES: ADDRESSES.trimEnd(),
            CLUSTER_PORTS: clusterPorts("flannel"),
            LIB_DIR: `${box.dir}/lib`,
            CONFIG_DIR: `${box.dir}/etc`,
            UNIT_DIR: `${box.dir}/systemd`,
        };
        const first = box.run(K8S_SCRIPTS.serviceLoadBalancer, env);
        expect(first.code).toBe(0);
        expect(readFileSync(`${box.dir}/lib/service-lb`, "utf8")).toBe(env.CONTROLLER.trimEnd() + "\n");
        expect(statSync(`${box.dir}/lib/service-lb`).mode & 0o777).toBe(0o755);
        expect(readFileSync(`${box.dir}/etc/node-addresses`, "utf8")).toBe(ADDRESSES);
        const unit = readFileSync(`${box.dir}/systemd/cluster-lab-service-lb.service`, "utf8");
        expect(unit).toContain(`ExecStart=${box.dir}/lib/service-lb\n`);
        expect(unit).toContain("Environment=KUBECONFIG=/etc/kubernetes/admin.conf\n");
        expect(unit).toContain(`Environment=ADDRESSES_FILE=${box.dir}/etc/node-addresses\n`);
        expect(unit).toContain(`Environment="CLUSTER_PORTS=${env.CLUSTER_PORTS}"\n`);
        expect(unit).toContain("Restart=always\n");
        expect(calledWith(first.calls, "systemctl")).toEqual([
            "systemctl daemon-reload",
            "systemctl enable --now cluster-lab-service-lb",
            "systemctl restart cluster-lab-service-lb",
        ]);

        const moreNodes = box.run(K8S_SCRIPTS.serviceLoadBalancer, {
            ...env,
            NODE_ADDRESSES: env.NODE_ADDRESSES + "\nk8s-w3 203.0.113.14 10.42.1.14",
        });
        expect(calledWith(moreNodes.calls, "systemctl")).toEqual(["systemctl enable --now cluster-lab-service-lb"]);
        expect(readFileSync(`${box.dir}/etc/node-addresses`, "utf8")).toContain("k8s-w3 203.0.113.14 10.42.1.14");

        const newController = box.run(K8S_SCRIPTS.serviceLoadBalancer, { ...env, CONTROLLER: env.CONTROLLER + "# v2\n" });
        expect(calledWith(newController.calls, "systemctl")).toEqual([
            "systemctl enable --now cluster-lab-service-lb",
            "systemctl restart cluster-lab-service-lb",
        ]);
    });
});

describe("wait-ready.sh on a Kubernetes node", () => {
    const gate = scriptIn(NODE_SCRIPTS, "wait-ready.sh");

    it("waits for the CRI plugin to answer through crictl, not for containerd's own API", () => {
        const box = k8sBox();
        const ready = box.run(gate, { ENGINE: "containerd" });
        expect(ready.code).toBe(0);
        expect(calledWith(ready.calls, "crictl")).toEqual(["crictl --runtime-endpoint unix:///run/containerd/containerd.sock info"]);
        expect(calledWith(ready.calls, "ctr")).toEqual([]);
        expect(ready.stdout).toContain("ready: containerd answers");

        box.file("exit-crictl", "1"); // containerd runs, its CRI plugin failed to load
        const broken = box.run(gate, { ENGINE: "containerd", READY_TIMEOUT: 0 });
        expect(broken.code).not.toBe(0);
        expect(broken.stderr).toContain("gave up after 0s waiting for containerd to answer");
    });
});
