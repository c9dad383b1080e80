// scripts/operator/lab.sh ssh, status, extend, reset and kubeconfig, on a lab the fake Pulumi CLI
// serves, with ssh stubbed (it logs the command line it gets).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { mergeKubeconfig } from "../../scripts/operator/merge-kubeconfig";
import { project } from "../support/operator";

const hostKey = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfNode${n}`;
const SWARM = {
    lab: { orchestrator: "swarm", region: "ap-northeast-2", spot: false },
    nodes: ["swarm-manager1", "swarm-worker1", "swarm-worker2"].map((name, i) => ({
        name,
        role: i === 0 ? "manager" : "worker",
        instanceType: "t3.small",
        publicIp: `203.0.113.${10 + i}`,
        privateIp: `10.42.1.${10 + i}`,
        hostKey: hostKey(i),
    })),
    sshCommands: [10, 11, 12].map((n) => `ssh -i dev.pem admin@203.0.113.${n}`),
    nginxUrls: [10, 11, 12].map((n) => `http://203.0.113.${n}:8001`),
    expiresAt: "2026-11-23T15:05:00Z",
};
const NOW = String(Date.parse("2026-11-23T12:00:00Z") / 1000);

function labWith(outputs: Record<string, unknown>, config: Record<string, string> = {}) {
    const lab = project();
    writeFileSync(
        path.join(lab.dir, "pulumi-state.json"),
        JSON.stringify({
            current: "file://~",
            stacks: { dev: { resources: [], outputs, secrets: ["kubeconfig"], config } },
        }),
    );
    return {
        ...lab,
        run: (args: string[], env: Record<string, string> = {}) => lab.run(args, { PULUMI_CONFIG_PASSPHRASE: "x", NOW, ...env }),
    };
}

describe("lab.sh ssh", () => {
    it("logs in as the image's user with the lab key, accepting only the node's pinned host key", () => {
        const lab = labWith(SWARM);
        writeFileSync(path.join(lab.dir, "dev.pem"), "key");
        const result = lab.run(["ssh", "swarm-worker1", "docker", "node", "ls"]);
        expect(result.code).toBe(0);
        expect(result.calls.filter((c) => c.startsWith("ssh "))).toEqual([
            "ssh -o UserKnownHostsFile=dev.known_hosts -o StrictHostKeyChecking=yes -i dev.pem -o IdentitiesOnly=yes admin@203.0.113.11 docker node ls",
        ]);
        expect(readFileSync(path.join(lab.dir, "dev.known_hosts"), "utf8")).toBe(
            SWARM.nodes.map((n) => `${n.publicIp} ${n.hostKey}`).join("\n") + "\n",
        );
    });

    it("names the lab's nodes when the node is not one of them", () => {
        const result = labWith(SWARM).run(["ssh", "swarm-worker9"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("no node named 'swarm-worker9' in lab dev; nodes: swarm-manager1, swarm-worker1, swarm-worker2");
    });
});

describe("lab.sh status", () => {
    it("shows nodes, URLs, the time left and the cost per hour from the price table", () => {
        const result = labWith(SWARM).run(["status"]);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("lab dev: swarm in ap-northeast-2");
        expect(result.stdout).toMatch(/swarm-worker2 +worker +t3\.small +203\.0\.113\.12 +10\.42\.1\.12/);
        expect(result.stdout).toContain("nginx       http://203.0.113.10:8001");
        expect(result.stdout).toContain("expires     2026-11-23T15:05:00Z (in 3h 05min)");
        // 3 x (t3.small 0.026 + IPv4 0.005 + 16 GiB gp3 0.002)
        expect(result.stdout).toContain("cost        about $0.099 per hour for 3 nodes");
    });

    it("gives the spot range, and says when it has no price for a type or region", () => {
        expect(labWith({ ...SWARM, lab: { ...SWARM.lab, spot: true } }).run(["status"]).stdout).toContain(
            "cost        about $0.042-0.044 per hour for 3 nodes, spot",
        );
        expect(labWith({ ...SWARM, lab: { ...SWARM.lab, region: "eu-west-1" } }).run(["status"]).stdout).toContain(
            "cost        no price figure for t3.small in eu-west-1",
        );
    });
});

describe("lab.sh extend", () => {
    it("adds hours to the ttl and updates the lab, whose nodes read the new expiry", () => {
        const lab = labWith(SWARM, { "lab:ttl": "90m" });
        const result = lab.run(["extend", "2", "--yes"]);
        expect(result.code).toBe(0);
        expect(result.calls).toContain("pulumi config set --stack dev lab:ttl 3h30m [passphrase]");
        expect(result.calls).toContain("pulumi up --stack dev --yes [passphrase]");
        expect(labWith(SWARM).run(["extend", "1", "--yes"]).calls).toContain("pulumi config set --stack dev lab:ttl 9h0m [passphrase]");
        expect(labWith(SWARM, { "lab:ttlHours": "4" }).run(["extend", "1", "--yes"]).calls).toContain(
            "pulumi config rm --stack dev lab:ttlHours [passphrase]",
        );
    });

    it("refuses a lab that never expires, and hours that are not a whole number", () => {
        expect(labWith(SWARM, { "lab:ttl": "0" }).run(["extend", "2"]).stderr).toContain("lab dev never expires (lab:ttl 0)");
        expect(labWith(SWARM).run(["extend", "two"]).stderr).toContain("usage: scripts/operator/lab.sh extend <hours>");
    });
});

describe("lab.sh reset", () => {
    it("returns every prepared node to unformed, and refuses a lab that pulumi up formed", () => {
        const formed = labWith(SWARM).run(["reset"]);
        expect(formed.code).toBe(1);
        expect(formed.stderr).toContain("reset returns prepared nodes (lab:form nodes) to unformed");
        const swarm = labWith({ ...SWARM, nextSteps: "..." }).run(["reset"]);
        expect(swarm.code).toBe(0);
        const leaves = swarm.calls.filter((c) => c.startsWith("ssh "));
        expect(leaves).toHaveLength(3);
        for (const call of leaves) expect(call).toContain("docker swarm leave --force");
        const k8s = labWith({ ...SWARM, lab: { ...SWARM.lab, orchestrator: "kubernetes" }, nextSteps: "..." }).run(["reset"]);
        for (const call of k8s.calls.filter((c) => c.startsWith("ssh "))) expect(call).toContain("sudo kubeadm reset -f");
    });
});

describe("lab.sh kubeconfig", () => {
    const kubeconfig = (lab: string) =>
        stringify({
            apiVersion: "v1",
            kind: "Config",
            "current-context": lab,
            clusters: [{ name: lab, cluster: { server: "https://203.0.113.10:6443" } }],
            users: [{ name: lab, user: { token: "t" } }],
            contexts: [{ name: lab, context: { cluster: lab, user: lab } }],
        });

    it("saves the secret kubeconfig for the operator alone, and merges it without touching other contexts", () => {
        const lab = labWith({ ...SWARM, kubeconfig: kubeconfig("cluster-lab-dev") });
        mkdirSync(path.join(lab.dir, ".kube"));
        writeFileSync(path.join(lab.dir, ".kube", "config"), kubeconfig("work"));
        const result = lab.run(["kubeconfig", "--merge"]);
        expect(result.code).toBe(0);
        const saved = path.join(lab.dir, "dev.kubeconfig");
        expect(statSync(saved).mode & 0o777).toBe(0o600);
        expect(parse(readFileSync(saved, "utf8"))["current-context"]).toBe("cluster-lab-dev");
        const merged = parse(readFileSync(path.join(lab.dir, ".kube", "config"), "utf8"));
        expect(merged.contexts.map((c: { name: string }) => c.name)).toEqual(["work", "cluster-lab-dev"]);
        expect(merged["current-context"]).toBe("work");
        expect(existsSync(path.join(lab.dir, ".kube", "config.before-cluster-lab-dev"))).toBe(true);
        expect(result.stdout).not.toContain("token");
    });

    it("replaces an earlier entry of the same lab", () => {
        const older = parse(kubeconfig("cluster-lab-dev"));
        older.clusters[0].cluster.server = "https://198.51.100.1:6443";
        const merged = mergeKubeconfig(mergeKubeconfig({}, older), parse(kubeconfig("cluster-lab-dev")));
        expect(merged.clusters).toEqual([{ name: "cluster-lab-dev", cluster: { server: "https://203.0.113.10:6443" } }]);
        expect(merged["current-context"]).toBe("cluster-lab-dev");
    });
});
