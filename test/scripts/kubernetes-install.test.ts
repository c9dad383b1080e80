// k8s-install.sh, the first boot of every Kubernetes node, run for real with k8s-tools standing in
// for apt-get, apt-mark, pgrep, curl, gpg, containerd, kubeadm, systemctl, ...
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { K8S_SCRIPTS } from "../../components/kubernetes/node-scripts";
import { SUPPORTED_MINORS } from "../../components/kubernetes/versions";
import { NODE_WAITS } from "../../components/timeouts";
import { CONTAINERD_DEFAULT, k8sBox } from "../support/kubernetes";
import { calledWith } from "../support/sandbox";

const APT = "apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -q ";
const PACKAGES = "containerd.io kubelet kubeadm kubectl cri-tools iptables bash-completion";

function installBox(minor: keyof typeof SUPPORTED_MINORS = "1.36") {
    const box = k8sBox();
    const dir = box.dir;
    const env = {
        KUBERNETES_VERSION: minor,
        CONTAINERD_MAJOR: SUPPORTED_MINORS[minor].containerdMajor,
        KEYRING_DIR: `${dir}/keyrings`,
        APT_SOURCES_DIR: `${dir}/sources`,
        OS_RELEASE: `${dir}/os-release`,
        FSTAB: `${dir}/fstab`,
        MODULES_FILE: `${dir}/modules.conf`,
        SYSCTL_FILE: `${dir}/sysctl.conf`,
        CONTAINERD_CONFIG: `${dir}/containerd/config.toml`,
        CRICTL_CONFIG: `${dir}/crictl.yaml`,
    };
    writeFileSync(env.OS_RELEASE, "ID=debian\nVERSION_CODENAME=bookworm\n");
    writeFileSync(env.FSTAB, "UUID=abc / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n");
    return { box, env };
}

/** The apt-get arguments after the options every call carries. */
const aptSteps = (calls: string[]) => calledWith(calls, "apt-get").map((c) => c.replace(APT, ""));

describe("k8s-install.sh", () => {
    it("installs containerd, the pinned and held Kubernetes packages, cri-tools and iptables once, with SystemdCgroup = true", () => {
        const { box, env } = installBox();
        const first = box.run(K8S_SCRIPTS.install, env);
        expect(first.stderr).toBe("");
        expect(first.code).toBe(0);
        expect(aptSteps(first.calls)).toEqual([
            "update",
            "install -y --no-install-recommends ca-certificates curl gpg",
            "update",
            `install -y --no-install-recommends ${PACKAGES}`,
        ]);
        // Nothing was installed, so nothing was held: no unhold.
        expect(calledWith(first.calls, "apt-mark")).toEqual(["apt-mark -o DPkg::Lock::Timeout=600 hold kubelet kubeadm kubectl"]);
        expect(readFileSync(`${env.APT_SOURCES_DIR}/kubernetes.list`, "utf8")).toBe(
            `deb [signed-by=${env.KEYRING_DIR}/kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n`,
        );
        expect(readFileSync(`${env.APT_SOURCES_DIR}/docker.list`, "utf8")).toBe(
            `deb [arch=amd64 signed-by=${env.KEYRING_DIR}/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n`,
        );
        expect(calledWith(first.calls, "curl")).toEqual([
            "curl -fsSL https://download.docker.com/linux/debian/gpg",
            "curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key",
        ]);
        const containerdConfig = readFileSync(env.CONTAINERD_CONFIG, "utf8");
        expect(containerdConfig).toContain("            SystemdCgroup = true\n");
        expect(containerdConfig).not.toContain("SystemdCgroup = false");
        expect(readFileSync(env.CRICTL_CONFIG, "utf8")).toBe(
            "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n",
        );
        expect(readFileSync(env.MODULES_FILE, "utf8")).toBe("overlay\nbr_netfilter\n");
        expect(readFileSync(env.SYSCTL_FILE, "utf8")).toContain("net.bridge.bridge-nf-call-iptables = 1\n");
        expect(readFileSync(env.SYSCTL_FILE, "utf8")).toContain("net.ipv4.ip_forward = 1\n");
        expect(readFileSync(env.FSTAB, "utf8")).toBe("UUID=abc / ext4 defaults 0 1\n# /swapfile none swap sw 0 0\n");
        expect(first.calls).toEqual(
            expect.arrayContaining([
                "swapoff -a",
                "modprobe overlay",
                "modprobe br_netfilter",
                "sysctl --system",
                "systemctl restart containerd",
                "systemctl enable --now containerd",
                "systemctl enable kubelet",
            ]),
        );
        expect(first.stdout).toContain("node ready for kubeadm: containerd 2.2.1 and Kubernetes v1.36.2");

        const before = [env.CONTAINERD_CONFIG, env.FSTAB, env.MODULES_FILE].map((f) => readFileSync(f, "utf8"));
        const second = box.run(K8S_SCRIPTS.install, env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "apt-get")).toEqual([]);
        expect(calledWith(second.calls, "curl")).toEqual([]);
        expect(calledWith(second.calls, "systemctl restart")).toEqual([]);
        expect(second.stdout).not.toContain("wrote ");
        expect(second.stdout).toContain("containerd 2.2.1 and Kubernetes 1.36 packages already installed");
        expect([env.CONTAINERD_CONFIG, env.FSTAB, env.MODULES_FILE].map((f) => readFileSync(f, "utf8"))).toEqual(before);

        // Another minor installed and held: unheld, and the pinned one installed.
        box.file("kubeadm-version", "v1.35.4");
        const upgrade = box.run(K8S_SCRIPTS.install, env);
        expect(upgrade.code).toBe(0);
        expect(calledWith(upgrade.calls, "apt-mark")).toEqual([
            "apt-mark -o DPkg::Lock::Timeout=600 unhold kubelet kubeadm kubectl",
            "apt-mark -o DPkg::Lock::Timeout=600 hold kubelet kubeadm kubectl",
        ]);
        expect(aptSteps(upgrade.calls)).toContain(`install -y --no-install-recommends ${PACKAGES}`);
    });

    it("does not wait on unattended-upgr, which runs for the node's whole life: every apt-get and apt-mark waits for the dpkg lock itself, for APT_LOCK_TIMEOUT", () => {
        const { box, env } = installBox();
        // Debian 12 and Ubuntu 24.04: unattended-upgrade-shutdown --wait-for-signal, named unattended-upgr.
        expect(box.exec(["pgrep", "-x", "apt|apt-get|dpkg|unattended-upgr"]).stdout).toBe("1003\n");
        const run = box.run(K8S_SCRIPTS.install, { ...env, APT_LOCK_TIMEOUT: 3, APT_ATTEMPTS: 1 });
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(calledWith(run.calls, "pgrep")).toEqual([]);
        const aptGets = calledWith(run.calls, "apt-get ");
        expect(aptGets).toHaveLength(4);
        for (const call of aptGets) expect(call).toMatch(/^apt-get -o DPkg::Lock::Timeout=3 /);
        expect(calledWith(run.calls, "apt-mark ")).toEqual(["apt-mark -o DPkg::Lock::Timeout=3 hold kubelet kubeadm kubectl"]);

        // The lock wait is the configured one: NODE_WAITS.APT_LOCK_TIMEOUT unless given.
        const { box: fresh, env: freshEnv } = installBox();
        const defaults = fresh.run(K8S_SCRIPTS.install, freshEnv);
        expect(defaults.code).toBe(0);
        const defaultAptGets = calledWith(defaults.calls, "apt-get ");
        expect(defaultAptGets).toHaveLength(4);
        for (const call of defaultAptGets) expect(call).toContain(`-o DPkg::Lock::Timeout=${NODE_WAITS.APT_LOCK_TIMEOUT} `);
    });

    it("tries an apt step again when the dpkg lock is still held after DPkg::Lock::Timeout, and fails with apt's error after APT_ATTEMPTS", () => {
        const { box, env } = installBox();
        box.file("dpkg-lock-held-times", "2");
        const run = box.run(K8S_SCRIPTS.install, env);
        expect(run.code).toBe(0);
        expect(aptSteps(run.calls).slice(0, 4)).toEqual([
            "update",
            "update",
            "update",
            "install -y --no-install-recommends ca-certificates curl gpg",
        ]);
        expect(calledWith(run.calls, "sleep ").slice(0, 2)).toEqual(["sleep 10", "sleep 20"]);

        const { box: stuck, env: stuckEnv } = installBox();
        stuck.file("dpkg-lock-held-times", "99");
        const gaveUp = stuck.run(K8S_SCRIPTS.install, { ...stuckEnv, APT_ATTEMPTS: 2 });
        expect(gaveUp.code).not.toBe(0);
        expect(gaveUp.stderr).toContain("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1003 (unattended-upgr)");
        expect(gaveUp.stderr).toMatch(/apt-get -o DPkg::Lock::Timeout=600 .* update failed 2 times/);
        expect(calledWith(gaveUp.calls, "apt-get")).toHaveLength(2);
    });

    it("tries every apt step, apt-mark and key download again against a failing mirror", () => {
        const { box, env } = installBox();
        box.file("fail-apt-get--o-times", "2");
        box.file("fail-apt-mark--o-times", "1");
        box.file("fail-curl--fsSL-times", "1");
        const run = box.run(K8S_SCRIPTS.install, env);
        expect(run.code).toBe(0);
        expect(aptSteps(run.calls).slice(0, 4)).toEqual([
            "update",
            "update",
            "update",
            "install -y --no-install-recommends ca-certificates curl gpg",
        ]);
        expect(calledWith(run.calls, "apt-mark")).toHaveLength(2);
        expect(calledWith(run.calls, "curl")).toHaveLength(3);
        // Each try waited longer: retry's delays, 10 s more after each failure.
        expect(calledWith(run.calls, "sleep ")).toEqual(["sleep 10", "sleep 20", "sleep 10", "sleep 10"]);

        const { box: down, env: downEnv } = installBox();
        down.file("fail-apt-get--o-times", "99");
        const failed = down.run(K8S_SCRIPTS.install, { ...downEnv, APT_ATTEMPTS: 3 });
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toMatch(/apt-get .* update failed 3 times/);
        expect(failed.stderr).toContain("cluster-lab: step test failed on node test-node");
    });

    it("refuses a containerd older than the minor needs: 1.36 and 1.37 need containerd 2, 1.35 runs on 1.7", () => {
        expect(Object.fromEntries(Object.entries(SUPPORTED_MINORS).map(([m, f]) => [m, f.containerdMajor]))).toEqual({
            "1.35": 1,
            "1.36": 2,
            "1.37": 2,
        });
        for (const minor of ["1.36", "1.37"] as const) {
            const { box, env } = installBox(minor);
            box.file("containerd-version", "containerd containerd.io 1.7.28 89e6b9f1\n");
            const run = box.run(K8S_SCRIPTS.install, env);
            expect(run.code).not.toBe(0);
            expect(run.stderr).toContain(`containerd 1.7.28 is installed, but Kubernetes ${minor} needs containerd 2 or later`);
            expect(calledWith(run.calls, "systemctl")).toEqual([]);
        }
        const { box, env } = installBox("1.35");
        box.file("containerd-version", "containerd github.com/containerd/containerd v1.7.28 89e6b9f1\n");
        expect(box.run(K8S_SCRIPTS.install, env).code).toBe(0);

        // Everything installed but containerd too old: the install path runs (and upgrades containerd.io).
        const { box: old, env: oldEnv } = installBox("1.36");
        old.file("kubeadm-version", "v1.36.2");
        old.file("containerd-version", "containerd containerd.io 1.7.28 89e6b9f1\n");
        const again = old.run(K8S_SCRIPTS.install, oldEnv);
        expect(aptSteps(again.calls)).toContain(`install -y --no-install-recommends ${PACKAGES}`);
    });

    it("adds SystemdCgroup when containerd's defaults lack it, and fails clearly without a runc section", () => {
        const { box, env } = installBox();
        writeFileSync(env.OS_RELEASE, "ID=ubuntu\nVERSION_CODENAME=noble\n");
        box.file("kubeadm-version", "v1.36.1");
        box.file("containerd-default.toml", CONTAINERD_DEFAULT.replace("            SystemdCgroup = false\n", ""));
        const added = box.run(K8S_SCRIPTS.install, env);
        expect(added.code).toBe(0);
        expect(readFileSync(env.CONTAINERD_CONFIG, "utf8")).toMatch(
            /runtimes\.runc\.options\]\n {12}SystemdCgroup = true\n {12}BinaryName/,
        );

        box.file("containerd-default.toml", "version = 3\n");
        const failed = box.run(K8S_SCRIPTS.install, env);
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toContain("cannot set SystemdCgroup");
    });
});
