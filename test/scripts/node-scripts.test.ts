// The scripts every node runs (the gate, the hosts block) and the prelude that names a failure,
// rendered and run as remote.ts sends them, with stubs on PATH.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_SCRIPTS, renderScriptText, scriptIn, sudoScriptCommand } from "../../components/remote";
import { calledWith, sandbox } from "../support/sandbox";

const swarmBox = (state: Record<string, unknown> = {}) => sandbox({ stubs: ["docker", ...LOGGED], state });

const NODE = { setHosts: scriptIn(NODE_SCRIPTS, "set-hosts.sh"), waitReady: scriptIn(NODE_SCRIPTS, "wait-ready.sh") };
const LOGGED = ["hostnamectl", "cloud-init", "systemctl", "apt-get", "sleep"];

describe("set-hosts.sh", () => {
    it("writes the block once, replaces it on change, keeps other lines, sets the hostname only when it differs", () => {
        const box = swarmBox();
        const hostsFile = path.join(box.dir, "hosts");
        writeFileSync(hostsFile, "127.0.0.1 localhost\n::1 localhost\n");
        const env = {
            HOSTS_FILE: hostsFile,
            LAB_HOSTNAME: "swarm-worker1",
            HOSTS_ENTRIES: "10.42.1.10 swarm-manager1\n10.42.1.11 swarm-worker1",
        };

        const first = box.run(NODE.setHosts, env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "hostnamectl")).toEqual(["hostnamectl set-hostname swarm-worker1"]);
        const written = readFileSync(hostsFile, "utf8");
        expect(written).toMatch(
            /^127\.0\.0\.1 localhost\n::1 localhost\n# BEGIN cluster-lab nodes[^\n]*\n10\.42\.1\.10 swarm-manager1\n10\.42\.1\.11 swarm-worker1\n# END cluster-lab nodes\n$/,
        );

        writeFileSync(path.join(box.dir, "hostname"), "swarm-worker1\n");
        const second = box.run(NODE.setHosts, env);
        expect(second.stdout).toContain("hosts block unchanged");
        expect(calledWith(second.calls, "hostnamectl")).toEqual([]);
        expect(readFileSync(hostsFile, "utf8")).toBe(written);

        const third = box.run(NODE.setHosts, {
            ...env,
            HOSTS_ENTRIES: "10.42.1.10 swarm-manager1\n10.42.1.11 swarm-worker1\n10.42.1.12 swarm-worker2",
        });
        expect(third.stdout).toContain("hosts block written");
        const replaced = readFileSync(hostsFile, "utf8");
        expect(replaced.match(/# BEGIN cluster-lab/g)).toHaveLength(1);
        expect(replaced.match(/swarm-manager1/g)).toHaveLength(1);
        expect(replaced).toContain("10.42.1.12 swarm-worker2\n# END cluster-lab nodes\n");
        expect(replaced.startsWith("127.0.0.1 localhost\n::1 localhost\n")).toBe(true);
    });

    it("refuses to run without its variables", () => {
        const result = swarmBox().run(NODE.setHosts, { LAB_HOSTNAME: "x" });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("HOSTS_ENTRIES");
    });
});

describe("wait-ready.sh", () => {
    it("waits for cloud-init and for the engine to answer", () => {
        const box = swarmBox({ engineDown: 2 });
        const result = box.run(NODE.waitReady, { ENGINE: "docker" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "cloud-init status --wait")).toHaveLength(1);
        expect(calledWith(result.calls, "docker info")).toHaveLength(3);
        expect(result.stdout).toContain("ready: docker answers");
    });

    it("accepts cloud-init's recoverable-warning exit, fails on an error, and on an engine that never answers", () => {
        expect(swarmBox().run(NODE.waitReady, { ENGINE: "docker", STUB_EXIT_cloud_init: "2" }).code).toBe(0);
        const failed = swarmBox().run(NODE.waitReady, {
            ENGINE: "docker",
            STUB_EXIT_cloud_init: "1",
            INSTALL_SCRIPT: "/opt/cluster-lab/install-docker.sh",
            LAB_NODE: "swarm-worker2",
        });
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toContain("cloud-init did not finish cleanly (exit 1)");
        expect(failed.stderr).toContain("--- last lines of /var/log/cloud-init-output.log");
        expect(failed.stderr).toContain(
            "recover: scripts/operator/lab.sh ssh swarm-worker2 sudo bash /opt/cluster-lab/install-docker.sh   then run pulumi up again",
        );
        const silent = swarmBox({ engineDown: 1000 }).run(NODE.waitReady, { ENGINE: "docker", READY_TIMEOUT: "1" });
        expect(silent.code).not.toBe(0);
        expect(silent.stderr).toContain("gave up after 1s waiting for docker to answer");
    });
});

describe("rendered scripts", () => {
    const probe = (lines: string[]) => {
        const dir = mkdtempSync(path.join(tmpdir(), "probe-"));
        writeFileSync(path.join(dir, "probe.sh"), ["#!/usr/bin/env bash", "set -euo pipefail", ...lines, ""].join("\n"));
        return scriptIn(dir, "probe.sh");
    };

    it("quote every variable, and name the node, the step and the script's own line when they fail", () => {
        const script = probe([': "${NODE_ID:?}"', 'echo "id $NODE_ID"', "false", "echo never"]);
        expect(renderScriptText(script, { NODE_ID: "it's quoted" })).toContain("export NODE_ID='it'\\''s quoted'");
        const result = swarmBox().run(script, { NODE_ID: "it's quoted" }, { LAB_NODE: "swarm-worker2", LAB_STEP: "join-delete" });
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("id it's quoted\n");
        expect(result.stderr).toBe("cluster-lab: step join-delete failed on node swarm-worker2 (probe.sh line 5, exit 1)\n");
    });

    it("name the calling line when a prelude helper gives up", () => {
        const script = probe(["never() { false; }", 'wait_until 0 "the impossible" never', "echo never"]);
        const result = swarmBox().run(script, {}, { LAB_NODE: "k8s-cp1", LAB_STEP: "init" });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("gave up after 0s waiting for the impossible");
        expect(result.stderr).toContain("cluster-lab: step init failed on node k8s-cp1 (probe.sh line 4, exit 1)");
    });
});

describe("the runner on the node", () => {
    it("runs the script from stdin without it ever being a process argument, keeps its exit code, and leaves no file", async () => {
        const secret = `SWMTKN-1-${"x".repeat(50)}-runner`;
        const script = renderScriptText(scriptIn(NODE_SCRIPTS, "prelude.sh"), { JOIN_TOKEN: secret }) + "\nsleep 1\nexit 3\n";
        // The provider runs the command line through the login shell; sudo is root's own here.
        const command = sudoScriptCommand("swarm-worker1", "join").replace(/^sudo -n /, "");
        const before = new Set(readdirSync("/run").filter((f) => f.startsWith("cluster-lab-step.")));
        const child = spawn("bash", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
        child.stdin.end(script);
        const seen: string[] = [];
        const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
        for (let i = 0; i < 8; i++) {
            await new Promise((r) => setTimeout(r, 100));
            for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
                try {
                    seen.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
                } catch {
                    /* gone */
                }
            }
        }
        expect(await exited).toBe(3);
        expect(seen.filter((cmdline) => cmdline.includes(secret))).toEqual([]);
        expect(seen.some((cmdline) => cmdline.startsWith("bash /run/cluster-lab-step."))).toBe(true); // the sampler saw the step running
        expect(readdirSync("/run").filter((f) => f.startsWith("cluster-lab-step.") && !before.has(f))).toEqual([]);
    });
});

describe("expire.sh", () => {
    const EXPIRE = scriptIn(NODE_SCRIPTS, "expire.sh");
    const NOW = Date.parse("2026-11-23T12:00:00Z") / 1000;
    const node = (tags: Record<string, string>) => {
        const box = sandbox({ stubs: ["curl=imds-curl", "systemctl", "wall"] });
        for (const [key, value] of Object.entries(tags)) box.file(`imds/tags/instance/${key}`, value);
        const motd = path.join(box.dir, "motd.d", "cluster-lab");
        const run = () => ({ ...box.run(EXPIRE, { NOW, MOTD_FILE: motd }), motd: () => readFileSync(motd, "utf8") });
        return run;
    };

    it("shows the expiry at login, and does nothing else while it is far", () => {
        const result = node({ ExpiresAt: "2026-11-23T15:05:00Z", Lab: "alice" })();
        expect(result.code).toBe(0);
        expect(result.motd()).toBe(
            "cluster-lab alice expires at 2026-11-23T15:05:00Z (in 3h 05min): every node then powers off and is deleted. " +
                "Extend it with: scripts/operator/lab.sh extend <hours>\n",
        );
        expect(calledWith(result.calls, "wall")).toEqual([]);
        expect(calledWith(result.calls, "systemctl")).toEqual([]);
        // IMDSv2: a token first, then the tag with it.
        expect(result.calls[0]).toContain("-X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 300 http://169.254.169.254/latest/api/token");
    });

    it("warns logged-in users in the last 15 minutes, and powers off once it has passed", () => {
        const soon = node({ ExpiresAt: "2026-11-23T12:10:00Z", Lab: "alice" })();
        expect(calledWith(soon.calls, "wall")).toHaveLength(1);
        expect(calledWith(soon.calls, "systemctl")).toEqual([]);
        const past = node({ ExpiresAt: "2026-11-23T11:59:00Z", Lab: "alice" })();
        expect(past.code).toBe(0);
        expect(calledWith(past.calls, "systemctl")).toEqual(["systemctl poweroff"]);
        expect(past.motd()).toContain("cluster-lab alice expired at 2026-11-23T11:59:00Z: this node is powering off.");
    });

    it("keeps a lab without expiry, and does nothing without tags in the metadata", () => {
        const never = node({ ExpiresAt: "never", Lab: "bob" })();
        expect(never.motd()).toContain("this lab does not expire");
        expect(calledWith(never.calls, "systemctl")).toEqual([]);
        const untagged = node({})();
        expect(untagged.code).toBe(0);
        expect(calledWith(untagged.calls, "systemctl")).toEqual([]);
        expect(() => untagged.motd()).toThrow();
    });
});
