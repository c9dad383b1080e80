// The node and operator scripts, run for real with bash, with stub docker/cloud-init/hostnamectl/...
// on PATH. Each run starts from a state file, so a second run shows what an idempotent script skips.
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderScript } from "../components/remote";

const ROOT = path.join(__dirname, "..");
const STUBS = path.join(__dirname, "stubs");
const LOGGED = ["hostnamectl", "cloud-init", "systemctl", "apt-get", "sleep"];

const TOKENS = { worker: "SWMTKN-1-aaaa-worker", manager: "SWMTKN-1-aaaa-mgr" };

interface Sandbox {
    dir: string;
    run(script: string, env?: Record<string, string>): { code: number; stdout: string; stderr: string; calls: string[] };
    state(): Record<string, any>;
    setState(patch: Record<string, unknown>): void;
}

function sandbox(initial: Record<string, unknown> = {}): Sandbox {
    const dir = mkdtempSync(path.join(tmpdir(), "lab-script-"));
    const bin = path.join(dir, "bin");
    spawnSync("mkdir", ["-p", bin]);
    symlinkSync(path.join(STUBS, "docker"), path.join(bin, "docker"));
    for (const name of LOGGED) symlinkSync(path.join(STUBS, "stub-logger"), path.join(bin, name));
    writeFileSync(path.join(bin, "hostname"), `#!/usr/bin/env bash\ncat "${dir}/hostname"\n`);
    chmodSync(path.join(bin, "hostname"), 0o755);
    writeFileSync(path.join(dir, "hostname"), "ip-10-42-1-10\n");
    const stateFile = path.join(dir, "state.json");
    const logFile = path.join(dir, "calls.log");
    writeFileSync(stateFile, JSON.stringify({
        swarm: "inactive", manager: false, remote: "", nodeId: "node-abc", tokens: TOKENS, nodeStatus: ["Ready"], ...initial,
    }));
    return {
        dir,
        run(script, env = {}) {
            writeFileSync(logFile, "");
            const result = spawnSync("bash", [path.join(ROOT, "scripts", script)], {
                env: { PATH: `${bin}:/usr/bin:/bin`, STUB_STATE: stateFile, STUB_LOG: logFile, ...env },
                encoding: "utf8",
            });
            const calls = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
            return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, calls };
        },
        state: () => JSON.parse(readFileSync(stateFile, "utf8")),
        setState(patch) {
            writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(readFileSync(stateFile, "utf8")), ...patch }));
        },
    };
}

const calledWith = (calls: string[], prefix: string) => calls.filter((c) => c.startsWith(prefix));

describe("set-hosts.sh", () => {
    it("writes the block once, replaces it on change, keeps other lines, sets the hostname only when it differs", () => {
        const box = sandbox();
        const hostsFile = path.join(box.dir, "hosts");
        writeFileSync(hostsFile, "127.0.0.1 localhost\n::1 localhost\n");
        const env = { HOSTS_FILE: hostsFile, LAB_HOSTNAME: "swarm-worker1", HOSTS_ENTRIES: "10.42.1.10 swarm-manager1\n10.42.1.11 swarm-worker1" };

        const first = box.run("set-hosts.sh", env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "hostnamectl")).toEqual(["hostnamectl set-hostname swarm-worker1"]);
        const written = readFileSync(hostsFile, "utf8");
        expect(written).toMatch(/^127\.0\.0\.1 localhost\n::1 localhost\n# BEGIN cluster-lab nodes[^\n]*\n10\.42\.1\.10 swarm-manager1\n10\.42\.1\.11 swarm-worker1\n# END cluster-lab nodes\n$/);

        writeFileSync(path.join(box.dir, "hostname"), "swarm-worker1\n");
        const second = box.run("set-hosts.sh", env);
        expect(second.stdout).toContain("hosts block unchanged");
        expect(calledWith(second.calls, "hostnamectl")).toEqual([]);
        expect(readFileSync(hostsFile, "utf8")).toBe(written);

        const third = box.run("set-hosts.sh", { ...env, HOSTS_ENTRIES: "10.42.1.10 swarm-manager1\n10.42.1.11 swarm-worker1\n10.42.1.12 swarm-worker2" });
        expect(third.stdout).toContain("hosts block written");
        const replaced = readFileSync(hostsFile, "utf8");
        expect(replaced.match(/# BEGIN cluster-lab/g)).toHaveLength(1);
        expect(replaced.match(/swarm-manager1/g)).toHaveLength(1);
        expect(replaced).toContain("10.42.1.12 swarm-worker2\n# END cluster-lab nodes\n");
        expect(replaced.startsWith("127.0.0.1 localhost\n::1 localhost\n")).toBe(true);
    });

    it("refuses to run without its variables", () => {
        const result = sandbox().run("set-hosts.sh", { LAB_HOSTNAME: "x" });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("HOSTS_ENTRIES");
    });
});

describe("swarm-init.sh", () => {
    it("inits once, prints only the tokens on stdout and never a token on stderr", () => {
        const box = sandbox();
        const env = { ADVERTISE_ADDR: "10.42.1.10", DRAIN: "false" };
        const first = box.run("swarm-init.sh", env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "docker swarm init")).toEqual(["docker swarm init --advertise-addr 10.42.1.10"]);
        expect(JSON.parse(first.stdout)).toEqual(TOKENS);
        expect(first.stderr).not.toContain("SWMTKN");
        expect(calledWith(first.calls, "docker node update")).toEqual(["docker node update --availability active node-abc"]);

        const second = box.run("swarm-init.sh", env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "docker swarm init")).toEqual([]);
        expect(second.stderr).toContain("already managing swarm");
        expect(JSON.parse(second.stdout)).toEqual(TOKENS);
    });

    it("leaves a stale membership before it inits, and drains when asked", () => {
        const box = sandbox({ swarm: "active", manager: false, remote: "10.9.9.9:2377" });
        const result = box.run("swarm-init.sh", { ADVERTISE_ADDR: "10.42.1.10", DRAIN: "true" });
        expect(result.code).toBe(0);
        const order = result.calls.filter((c) => /swarm (leave|init)|node update/.test(c));
        expect(order).toEqual([
            "docker swarm leave --force",
            "docker swarm init --advertise-addr 10.42.1.10",
            "docker node update --availability drain node-abc",
        ]);
    });
});

describe("swarm-join.sh", () => {
    const env = { JOIN_TOKEN: TOKENS.worker, MANAGER_ADDR: "10.42.1.10", ADVERTISE_ADDR: "10.42.1.11", ROLE: "worker" };

    it("joins once, prints the node ID last, and a second run makes no new join", () => {
        const box = sandbox();
        const first = box.run("swarm-join.sh", env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "docker swarm join")).toEqual([
            `docker swarm join --token ${TOKENS.worker} --advertise-addr 10.42.1.11 10.42.1.10:2377`,
        ]);
        expect(first.stdout.trim().split("\n").pop()).toBe("node-abc");
        expect(first.stderr).not.toContain("SWMTKN");
        expect(calledWith(first.calls, "docker node update")).toEqual([]); // workers cannot update nodes

        const second = box.run("swarm-join.sh", env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "docker swarm join")).toEqual([]);
        expect(calledWith(second.calls, "docker swarm leave")).toEqual([]);
        expect(second.stderr).toContain("already a member of the swarm of 10.42.1.10");
    });

    it("moves from another swarm to the lab's, and retries a join the manager turned down", () => {
        const box = sandbox({ swarm: "active", remote: "10.9.9.9:2377", joinFailures: 2 });
        const result = box.run("swarm-join.sh", env);
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "docker swarm join")).toHaveLength(3);
        expect(calledWith(result.calls, "docker swarm leave --force")).toHaveLength(3); // the old swarm, then two pending joins
        expect(box.state().remote).toBe("10.42.1.10:2377");
    });

    it("gives up after JOIN_ATTEMPTS and says so", () => {
        const box = sandbox({ joinFailures: 10 });
        const result = box.run("swarm-join.sh", { ...env, JOIN_ATTEMPTS: "3" });
        expect(result.code).not.toBe(0);
        expect(calledWith(result.calls, "docker swarm join")).toHaveLength(3);
        expect(result.stderr).toContain("could not join 10.42.1.10:2377 after 3 attempts");
    });

    it("sets a joining manager's availability from DRAIN", () => {
        const box = sandbox();
        const result = box.run("swarm-join.sh", { ...env, JOIN_TOKEN: TOKENS.manager, ROLE: "manager", DRAIN: "true" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "docker node update")).toEqual(["docker node update --availability drain node-abc"]);
    });
});

describe("delete hooks", () => {
    it("swarm-remove-node.sh drains, waits for tasks, demotes a manager, then removes it", () => {
        const box = sandbox({ nodes: { "node-m2": { role: "manager", state: "ready" } }, tasksLeft: 2 });
        const result = box.run("swarm-remove-node.sh", { NODE_ID: "node-m2" });
        expect(result.code).toBe(0);
        expect(result.calls.filter((c) => !c.startsWith("docker node inspect") && !c.startsWith("sleep"))).toEqual([
            "docker node update --availability drain node-m2",
            "docker node ps --quiet --filter desired-state=running node-m2",
            "docker node ps --quiet --filter desired-state=running node-m2",
            "docker node ps --quiet --filter desired-state=running node-m2",
            "docker node demote node-m2",
            "docker node rm --force node-m2",
        ]);
    });

    it("swarm-remove-node.sh is a no-op for a node already gone, and skips the demotion of a worker", () => {
        const box = sandbox({ nodes: {} });
        const remove = box.run("swarm-remove-node.sh", { NODE_ID: "node-gone" });
        expect(remove.code).toBe(0);
        expect(calledWith(remove.calls, "docker node rm")).toEqual([]);
        box.setState({ nodes: { "node-w1": { role: "worker", state: "down" } } });
        const worker = box.run("swarm-remove-node.sh", { NODE_ID: "node-w1" });
        expect(calledWith(worker.calls, "docker node demote")).toEqual([]);
        expect(calledWith(worker.calls, "docker node rm")).toEqual(["docker node rm --force node-w1"]);
    });
});

describe("wait-ready.sh", () => {
    it("waits for cloud-init and for the engine to answer", () => {
        const box = sandbox({ engineDown: 2 });
        const result = box.run("wait-ready.sh");
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "cloud-init status --wait")).toHaveLength(1);
        expect(calledWith(result.calls, "docker info")).toHaveLength(3);
        expect(result.stdout).toContain("ready: docker answers");
    });

    it("accepts cloud-init's recoverable-warning exit, fails on an error, and on an engine that never answers", () => {
        expect(sandbox().run("wait-ready.sh", { STUB_EXIT_cloud_init: "2" }).code).toBe(0);
        const failed = sandbox().run("wait-ready.sh", { STUB_EXIT_cloud_init: "1" });
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toContain("cloud-init did not finish cleanly (exit 1)");
        const silent = sandbox({ engineDown: 1000 }).run("wait-ready.sh", { READY_TIMEOUT: "1" });
        expect(silent.code).not.toBe(0);
        expect(silent.stderr).toContain("docker did not answer within 1s");
    });
});

describe("deploy-stack.sh", () => {
    const compose = "version: \"3.8\"\nservices:\n  web:\n    image: nginx:1.27\n";

    it("writes the compose file, deploys without registry lookups, and waits until services converge", () => {
        const box = sandbox({ convergeAfter: 3 });
        const env = { STACK_NAME: "lab", STACK_COMPOSE: compose, EXPECTED_NODES: "1", LAB_DIR: box.dir };
        const result = box.run("deploy-stack.sh", env);
        expect(result.code).toBe(0);
        expect(readFileSync(path.join(box.dir, "lab.yml"), "utf8")).toBe(compose + "\n");
        expect(calledWith(result.calls, "docker stack deploy")).toEqual([
            `docker stack deploy --prune --resolve-image never --compose-file ${box.dir}/lab.yml lab`,
        ]);
        expect(calledWith(result.calls, "docker stack services lab --format").length).toBeGreaterThanOrEqual(3);
    });

    it("fails naming the service when an update was rolled back, and when nodes are missing", () => {
        const box = sandbox({ updateState: "rollback_completed" });
        const env = { STACK_NAME: "lab", STACK_COMPOSE: compose, EXPECTED_NODES: "1", LAB_DIR: box.dir };
        const rolledBack = box.run("deploy-stack.sh", env);
        expect(rolledBack.code).not.toBe(0);
        expect(rolledBack.stderr).toContain("update of lab_web failed and was rolled back (rollback_completed)");

        const short = sandbox({ nodeStatus: ["Ready", "Down"] }).run("deploy-stack.sh", { ...env, EXPECTED_NODES: "2", READY_TIMEOUT: "1" });
        expect(short.code).not.toBe(0);
        expect(short.stderr).toContain("fewer than 2 nodes are Ready");
    });
});

describe("install-docker.sh", () => {
    it("installs docker.io only when docker is missing, and always enables the service", () => {
        const present = sandbox().run("install-docker.sh");
        expect(calledWith(present.calls, "apt-get")).toEqual([]);
        expect(calledWith(present.calls, "systemctl")).toEqual(["systemctl enable --now docker"]);

        const box = sandbox();
        spawnSync("rm", [path.join(box.dir, "bin", "docker")]);
        const missing = box.run("install-docker.sh");
        expect(missing.code).toBe(0);
        expect(calledWith(missing.calls, "apt-get")).toEqual([
            "apt-get -o Acquire::Retries=5 update -q",
            "apt-get -o Acquire::Retries=5 install -y -q --no-install-recommends docker.io apparmor",
        ]);
    });
});

describe("rendered scripts", () => {
    it("name the node and step when they fail", async () => {
        const script = await new Promise<string>((resolve) =>
            renderScript("swarm-node-ready.sh", { NODE_ID: "it's quoted" }).apply(resolve));
        expect(script).toContain("export NODE_ID='it'\\''s quoted'");
        const box = sandbox();
        const failing = script.replace("until [", "false\nuntil [");
        const result = spawnSync("bash", ["-c", failing], {
            env: { PATH: `${box.dir}/bin:/usr/bin:/bin`, STUB_STATE: `${box.dir}/state.json`, STUB_LOG: `${box.dir}/calls.log`, LAB_NODE: "swarm-worker2", LAB_STEP: "join-delete" },
            encoding: "utf8",
        });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/cluster-lab: step join-delete failed on node swarm-worker2 \(line \d+, exit 1\)/);
    });
});

describe("smoke.sh", () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
        server = createServer((_req, res) => res.end("nginx"));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });
    afterAll(() => server.close());

    // Asynchronous: the server answering the requests runs in this process.
    const smoke = (args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile("bash", [path.join(ROOT, "scripts", "smoke.sh"), ...args], {
            env: { PATH: "/usr/bin:/bin", SMOKE_TIMEOUT: "2", SMOKE_ATTEMPTS: "1" }, encoding: "utf8",
        }, (err, stdout, stderr) => resolve({ status: err ? Number(err.code) : 0, stdout, stderr }));
    });

    it("prints a table and passes when every URL answers", async () => {
        const result = await smoke([`swarm-manager1=http://127.0.0.1:${port}`, `http://127.0.0.1:${port}/`]);
        expect(result.status).toBe(0);
        expect(result.stdout).toMatch(/^NODE +URL +RESULT\n/);
        expect(result.stdout).toMatch(new RegExp(`swarm-manager1 +http://127.0.0.1:${port} +ok \\(HTTP 200\\)`));
        expect(result.stdout).toMatch(/\n127\.0\.0\.1 +http/);
        expect(result.stdout).toContain("smoke: all 2 URLs answered");
    });

    it("exits non-zero naming the nodes that did not answer", async () => {
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const deadPort = (closed.address() as AddressInfo).port;
        await new Promise((resolve) => closed.close(resolve));
        const result = await smoke([`swarm-manager1=http://127.0.0.1:${port}`, `swarm-worker2=http://127.0.0.1:${deadPort}`]);
        expect(result.status).toBe(1);
        expect(result.stdout).toMatch(/swarm-worker2 +http:\/\/127\.0\.0\.1:\d+ +failed/);
        expect(result.stderr).toContain("smoke: no answer from swarm-worker2");
        expect(result.stderr).not.toContain("swarm-manager1");
    });
});
