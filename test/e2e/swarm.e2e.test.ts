// The real program forms a real swarm on local VMs: real dockerd, real SSH, real nginx. Mocks stand
// in for the AWS API only (test/e2e/up.ts). Each `up` is a fresh run of index.ts, as `pulumi up` is.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalEngine } from "./engine";
import { RunResult } from "./timeline";

const V1 = "cluster-lab/nginx:1";
const V2 = "cluster-lab/nginx:2";
const engine = new LocalEngine();

async function get(url: string): Promise<string> {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.text();
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (err) {
            last = err;
        }
        await new Promise((r) => setTimeout(r, 3000));
    }
    throw new Error(`${what} did not happen within ${timeoutMs / 1000}s${last ? `: ${last}` : ""}`);
}

function expectOk(result: RunResult): void {
    expect(result.error ?? "").toBe("");
    expect(result.ok).toBe(true);
}

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean).sort();
const docker = (node: string, args: string) => engine.ssh(node, `sudo docker ${args}`);
const runningNodes = (service: string) => docker("swarm-manager1", `service ps ${service} --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'`)
    .then((out) => lines(out).filter((l) => / Running /.test(l)).map((l) => l.split(" ")[0]).sort());

describe.sequential("Swarm lab on local VMs, from 1 manager + 2 workers", () => {
    const base = { managers: "1", workers: "2", nginxImage: V1 };
    const nodes = ["swarm-manager1", "swarm-worker1", "swarm-worker2"];

    beforeAll(() => engine.prepare());
    afterAll(() => engine.cloud.destroyAll());

    it("forms the swarm: 3 Ready nodes with the right roles, hostnames and one hosts block each", async () => {
        const result = await engine.up(base, "first up (1+2)");
        expectOk(result);
        const listed = lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'"));
        expect(listed).toEqual(["swarm-manager1 Ready Leader", "swarm-worker1 Ready", "swarm-worker2 Ready"]);
        for (const node of nodes) {
            expect(await engine.ssh(node, "hostname")).toBe(node);
            const hosts = await engine.ssh(node, "cat /etc/hosts");
            expect(hosts.match(/# BEGIN cluster-lab/g)).toHaveLength(1);
            for (const other of nodes) expect(hosts.match(new RegExp(`^${engine.ip(other)} ${other}$`, "gm"))).toHaveLength(1);
        }
        expect(result.outputs.nginxUrls.value).toEqual(nodes.map((n) => `http://${engine.ip(n)}:8001`));
        expect(result.outputs.privateKey.secret).toBe(true);
    });

    it("answers on the published port of every node (routing mesh), replicas on workers, one global task per node", async () => {
        for (const node of nodes) {
            expect(await get(`http://${engine.ip(node)}:8001/`)).toContain("cluster-lab nginx v1");
            expect(await get(`http://${engine.ip(node)}:8002/`)).toContain("cluster-lab nginx v1");
        }
        const web = await runningNodes("lab_web");
        expect(web).toHaveLength(3);
        expect(web.every((n) => n.startsWith("swarm-worker"))).toBe(true);
        expect(await runningNodes("lab_web-global")).toEqual(nodes);
    });

    it("changes nothing when run again: same node IDs, same tasks, one hosts block", async () => {
        const before = {
            nodes: await docker("swarm-manager1", "node ls -q"),
            tasks: await docker("swarm-manager1", "service ps lab_web lab_web-global -q --filter desired-state=running"),
        };
        const result = await engine.up(base, "second up (unchanged)");
        expectOk(result);
        expect(await docker("swarm-manager1", "node ls -q")).toBe(before.nodes);
        expect(lines(await docker("swarm-manager1", "service ps lab_web lab_web-global -q --filter desired-state=running")))
            .toEqual(lines(before.tasks));
        for (const node of nodes) {
            expect((await engine.ssh(node, "cat /etc/hosts")).match(/# BEGIN cluster-lab/g)).toHaveLength(1);
        }
    });

    it("rolls out a new image with zero failed requests", async () => {
        let stop = false, ok = 0;
        const failures: string[] = [];
        const urls = nodes.map((n) => `http://${engine.ip(n)}:8001/`);
        const loop = (async () => {
            for (let i = 0; !stop; i++) {
                try {
                    await get(urls[i % urls.length]);
                    ok++;
                } catch (err) {
                    failures.push(`${urls[i % urls.length]}: ${(err as Error).message}`);
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        })();
        const result = await engine.up({ ...base, nginxImage: V2 }, "up with a new image");
        stop = true;
        await loop;
        expectOk(result);
        console.log(`rolling update: ${ok} requests answered, ${failures.length} failed`);
        expect(failures).toEqual([]);
        expect(ok).toBeGreaterThan(20);
        expect(await docker("swarm-manager1", "service inspect lab_web --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'")).toBe(V2);
        for (const node of nodes) expect(await get(`http://${engine.ip(node)}:8001/`)).toContain("cluster-lab nginx v2");
    });

    it("joins an added worker, and drains and removes it when it leaves the config", async () => {
        expectOk(await engine.up({ ...base, nginxImage: V2, workers: "3" }, "up with 3 workers"));
        expect(lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}}'")))
            .toEqual(["swarm-manager1 Ready", "swarm-worker1 Ready", "swarm-worker2 Ready", "swarm-worker3 Ready"]);
        expect(await engine.ssh("swarm-manager1", "grep -c swarm-worker3 /etc/hosts")).toBe("1");

        const result = await engine.up({ ...base, nginxImage: V2 }, "up back to 2 workers");
        expectOk(result);
        const deleted = result.deleted.map((d) => d.name);
        expect(deleted).toEqual(expect.arrayContaining(["swarm-worker3-membership", "swarm-worker3-join", "swarm-worker3"]));
        expect(deleted.indexOf("swarm-worker3-membership")).toBeLessThan(deleted.indexOf("swarm-worker3"));
        expect(lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}}'"))).toEqual(nodes);
        expect(engine.cloud.list().map((v) => v.name).sort()).toEqual(nodes);
        expect(await runningNodes("lab_web")).toHaveLength(3);
    });

    it("grows to 3 managers (joining at once): one Leader and two Reachable", async () => {
        expectOk(await engine.up({ ...base, nginxImage: V2, managers: "3" }, "up with 3 managers"));
        const managers = lines(await docker("swarm-manager1", "node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}'"));
        expect(managers.map((m) => m.split(" ")[0])).toEqual(["swarm-manager1", "swarm-manager2", "swarm-manager3"]);
        expect(managers.filter((m) => m.endsWith(" Leader"))).toHaveLength(1);
        expect(managers.filter((m) => m.endsWith(" Reachable"))).toHaveLength(2);
        for (const node of ["swarm-manager2", "swarm-manager3"]) {
            expect(await get(`http://${engine.ip(node)}:8001/`)).toContain("cluster-lab nginx v2");
        }
    });

    it("reschedules web when a worker dies, and still answers on the surviving nodes", async () => {
        engine.cloud.stopVm("swarm-worker2");
        await eventually("swarm-worker2 Down", 180_000, async () =>
            (await docker("swarm-manager1", "node inspect swarm-worker2 --format '{{.Status.State}}'")) === "down" ? true : undefined);
        const web = await eventually("web rescheduled", 240_000, async () => {
            const running = await runningNodes("lab_web");
            return running.length === 3 && !running.includes("swarm-worker2") ? running : undefined;
        });
        expect(web).toEqual(["swarm-worker1", "swarm-worker1", "swarm-worker1"]);
        for (const node of ["swarm-manager1", "swarm-manager2", "swarm-manager3", "swarm-worker1"]) {
            expect(await get(`http://${engine.ip(node)}:8001/`)).toContain("cluster-lab nginx v2");
        }
    });

    it("tears down: delete hooks in reverse order, then no VM, tap, bridge or dnsmasq is left", async () => {
        const result = await engine.destroy();
        expectOk(result);
        const order = result.deleted.map((d) => d.name);
        for (const worker of ["swarm-worker1", "swarm-worker2"]) {
            expect(order.indexOf(`${worker}-membership`)).toBeLessThan(order.indexOf(`${worker}-join`));
            expect(order.indexOf(`${worker}-join`)).toBeLessThan(order.indexOf(worker));
            expect(order.indexOf(`${worker}-membership`)).toBeLessThan(order.indexOf("swarm-manager1"));
        }
        expect(engine.cloud.list()).toEqual([]);
        engine.cloud.destroyAll();
        const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
        expect(links).not.toMatch(/clab0|clab-/);
        expect(execFileSync("ps", ["-eo", "comm"], { encoding: "utf8" })).not.toMatch(/qemu-system|dnsmasq/);
    });
});
