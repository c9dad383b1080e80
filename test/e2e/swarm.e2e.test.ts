// The real program forms a real swarm on local VMs: real dockerd, real SSH, real nginx, a security
// group enforced by the local cloud. Mocks stand in for the AWS API only (engine/run.ts), the engine
// keeps state between runs as Pulumi does, and every check looks at the lab from outside: from the
// operator's address (inside allowedCidr) or the CI runner's (outside it).
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fromOutside, moveOperator, OUTSIDE } from "./cloud/network";
import { unwrap } from "./engine/state";
import { LocalLab } from "./local-lab";
import { RunResult } from "./timeline";

const V1 = "cluster-lab/nginx:1";
const V2 = "cluster-lab/nginx:2";
const lab = new LocalLab();

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

/** Nothing ran and nothing changed: no remote command, every resource the same. */
function expectNoChange(result: RunResult): void {
    expectOk(result);
    expect(result.commands.map((c) => `${c.name} on ${c.node}`)).toEqual([]);
    expect(
        (result.operations ?? []).filter((o) => o.op !== "same").map((o) => `${o.op} ${o.name} ${o.reasons ?? o.changed ?? ""}`),
    ).toEqual([]);
    expect(result.deleted).toEqual([]);
}

const lines = (text: string) =>
    text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .sort();
const docker = (node: string, args: string) => lab.ssh(node, `sudo docker ${args}`);
const runningNodes = (service: string) =>
    docker("swarm-manager1", `service ps ${service} --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'`).then((out) =>
        lines(out)
            .filter((l) => / Running /.test(l))
            .map((l) => l.split(" ")[0])
            .sort(),
    );
const instanceIds = () =>
    lab
        .state()
        .filter((r) => r.type === "aws:ec2/instance:Instance" && !r.delete)
        .map((r) => `${r.urn.split("::").pop()}=${r.id}`)
        .sort();

/** A command's output, or its error's first line: a diagnosis goes on past a node that does not answer. */
async function tryRun(node: string, command: string): Promise<string> {
    try {
        return await lab.ssh(node, command, { timeoutMs: 60_000 });
    } catch (err) {
        return `(${String(err).split("\n")[0]})`;
    }
}

/** What a failed scenario leaves to read: the nodes, the tasks that are not running, each node's dockerd. */
async function swarmDiagnosis(): Promise<void> {
    const running = lab.cloud.instances().filter((i) => i.state === "running");
    const names = lab
        .state()
        .filter((r) => r.type === "aws:ec2/instance:Instance" && !r.delete && running.some((i) => i.id === r.id))
        .map((r) => r.urn.split("::").pop()!);
    if (!names.includes("swarm-manager1")) return;
    console.log(
        "-- diagnosis: nodes and tasks not running\n" +
            (await tryRun(
                "swarm-manager1",
                "sudo docker node ls; sudo docker service ps --no-trunc --format '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}' $(sudo docker service ls -q) | grep -v ' Running Running' | tail -n 40",
            )),
    );
    for (const node of names) {
        console.log(
            `-- diagnosis: ${node} dockerd\n${await tryRun(node, "sudo journalctl -u docker --since '-10min' --no-pager -o cat | tail -n 25")}`,
        );
    }
}

let scenarioStart = 0;
beforeEach((context) => {
    scenarioStart = Date.now();
    context.onTestFailed(swarmDiagnosis);
});
afterEach((context) => {
    console.log(`-- scenario "${context.task.name}": ${((Date.now() - scenarioStart) / 1000).toFixed(1)}s`);
});

beforeAll(() => lab.prepare());
afterAll(() => lab.cloud.destroyAll());

describe.sequential("Swarm lab on local VMs, from 1 manager + 1 worker", () => {
    // One emulated CPU per VM on a 2-core host: two VMs each get a core, a third (the --replace
    // scenario) shares them. Two web replicas (the default is 3): every container start costs
    // emulated CPU.
    const base = { managers: "1", workers: "1", nginxImage: V1, nginxReplicas: "2", visualizer: "true" };
    const nodes = ["swarm-manager1", "swarm-worker1"];

    it("forms the swarm with only the program's rules: every node Ready, hostnames, one hosts block each; the runner gets no SSH", async () => {
        const result = await lab.up(base, { title: "first up (1+1)" });
        expectOk(result);
        const listed = lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'"));
        expect(listed).toEqual(["swarm-manager1 Ready Leader", "swarm-worker1 Ready"]);
        for (const node of nodes) {
            expect(await lab.ssh(node, "hostname")).toBe(node);
            const hosts = await lab.ssh(node, "cat /etc/hosts");
            expect(hosts.match(/# BEGIN cluster-lab/g)).toHaveLength(1);
            for (const other of nodes) expect(hosts.match(new RegExp(`^${lab.privateIp(other)} ${other}$`, "gm"))).toHaveLength(1);
        }
        // Nodes reach each other at private addresses: at a public one a node arrives through the
        // gateway from its own public address, which the group's node-to-node rules do not admit.
        const port = (to: string) =>
            lab.ssh("swarm-worker1", `timeout 5 bash -c '</dev/tcp/${to}/2377' 2>/dev/null && echo open || echo closed`);
        expect(await port(lab.privateIp("swarm-manager1"))).toBe("open");
        expect(await port(lab.ip("swarm-manager1"))).toBe("closed");
        expect(result.outputs.nginxUrls.value).toEqual(nodes.map((n) => `http://${lab.ip(n)}:8001`));
        expect(result.outputs.visualizerUrl.value).toBe(`http://${lab.ip("swarm-manager1")}:7070`);
        expect(result.outputs.privateKey.secret).toBe(true);
        // The cloud enforces exactly the group the program declared.
        const group = lab.state().find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!;
        expect(lab.cloud.read().groups[group.id!].ingress).toEqual((group.inputs as { ingress: unknown[] }).ingress);
        await expect(lab.ssh("swarm-manager1", "true", { as: "runner", timeoutMs: 20_000 })).rejects.toThrow();
        await expect(lab.get(`http://${lab.ip("swarm-manager1")}:8001/`, "runner")).rejects.toThrow();
    });

    it("answers on the published port of every node (routing mesh), replicas on workers, one global task per node", async () => {
        for (const node of nodes) {
            expect(await lab.get(`http://${lab.ip(node)}:8001/`)).toContain("cluster-lab nginx v1");
            expect(await lab.get(`http://${lab.ip(node)}:8002/`)).toContain("cluster-lab nginx v1");
        }
        const web = await runningNodes("lab_web");
        expect(web).toHaveLength(2);
        expect(web.every((n) => n.startsWith("swarm-worker"))).toBe(true);
        expect(await runningNodes("lab_web-global")).toEqual(nodes);
        // The visualizer (its stand-in) reads the manager's Docker socket: it knows every node.
        const known = JSON.parse(await lab.get(`http://${lab.ip("swarm-worker1")}:7070/`)) as { Description: { Hostname: string } }[];
        expect(known.map((n) => n.Description.Hostname).sort()).toEqual(nodes);
        expect(await runningNodes("lab_visualizer")).toEqual(["swarm-manager1"]);
    });

    it("changes nothing when run again: no remote command, same node IDs, same tasks, one hosts block", async () => {
        const before = {
            nodes: await docker("swarm-manager1", "node ls -q"),
            tasks: await docker("swarm-manager1", "service ps lab_web lab_web-global -q --filter desired-state=running"),
        };
        expectNoChange(await lab.up(base, { title: "second up (unchanged)" }));
        expect(await docker("swarm-manager1", "node ls -q")).toBe(before.nodes);
        expect(lines(await docker("swarm-manager1", "service ps lab_web lab_web-global -q --filter desired-state=running"))).toEqual(
            lines(before.tasks),
        );
        for (const node of nodes) {
            expect((await lab.ssh(node, "cat /etc/hosts")).match(/# BEGIN cluster-lab/g)).toHaveLength(1);
        }
    });

    let newerImage = "";
    it("changes nothing when a newer image is published: no command, no replacement", async () => {
        const before = instanceIds();
        newerImage = lab.cloud.publishImage(`debian-12-amd64-${new Date().toISOString().slice(0, 10).replace(/-/g, "")}-9`).id;
        const result = await lab.up(base, { title: "up after a newer image" });
        expectOk(result);
        expect(result.commands).toEqual([]);
        expect(result.deleted).toEqual([]);
        // Only each node's image stash takes the newer image as its input; its output, the image the
        // node boots, stays (an update of the engine's own Stash, which calls no provider).
        expect(
            (result.operations ?? []).filter((o) => o.op !== "same").map((o) => `${o.op} ${o.name} ${o.reasons ?? o.changed ?? ""}`),
        ).toEqual(nodes.map((n) => `update ${n}-image-debian-12-amd64 input`));
        for (const node of nodes) expect(lab.instance(node).ami).not.toBe(newerImage);
        expect(instanceIds()).toEqual(before);
    });

    it("follows the operator to a new address: the preview waits on no node, the up admits the new address and runs no command", async () => {
        const group = () => lab.state().find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!.id!;
        const admitted = () =>
            lab.cloud
                .read()
                .groups[group()].ingress.filter((r) => r.fromPort === 22)
                .flatMap((r) => r.cidrBlocks ?? []);
        // "auto": this machine's address as checkip sees it, /32.
        const auto = { ...base, allowedCidr: "auto" };
        expectOk(await lab.up(auto, { title: "up with allowedCidr auto" }));
        expect(admitted()).toEqual([`${OUTSIDE.operator.ip}/32`]);
        const moved = "198.18.10.11";
        const back = moveOperator(moved);
        try {
            // The group admits the old address only: port 22 does not answer the new one.
            await expect(lab.ssh("swarm-manager1", "true", { timeoutMs: 20_000 })).rejects.toThrow();
            const result = await lab.up(auto, { title: "up from a new operator address" });
            expectOk(result);
            expect(result.preview?.ok).toBe(true);
            expect(result.commands).toEqual([]);
            expect(admitted()).toEqual([`${moved}/32`]);
            expect(await lab.ssh("swarm-manager1", "hostname")).toBe("swarm-manager1");
        } finally {
            back();
        }
        expectOk(await lab.up(base, { title: "up from the first address again, allowedCidr as before" }));
        expect(admitted()).toEqual([OUTSIDE.operator.cidr]);
    });

    it("rolls out a new image under CPU contention with zero failed requests (a fresh connection each)", async () => {
        const urls = nodes.map((n) => `http://${lab.ip(n)}:8001/`);
        // One curl per request from the operator's address, round robin, bounded in count and time. A
        // request may take 20 s: an emulated node under contention answers slowly, which is not a loss.
        const loop = spawn(
            fromOutside("operator")[0],
            [
                ...fromOutside("operator").slice(1),
                "bash",
                "-c",
                `
            urls=(${urls.join(" ")}); i=0; end=$((SECONDS + 900))
            while [ ! -e /tmp/cluster-lab-e2e-stop ] && [ $i -lt 6000 ] && [ $SECONDS -lt $end ]; do
              url=\${urls[$((i % \${#urls[@]}))]}
              echo "$(curl -s -o /dev/null -w '%{http_code} %{time_total}s' --max-time 20 "$url") $url $(date +%T)"
              i=$((i + 1)); sleep 0.1
            done`,
            ],
            { stdio: ["ignore", "pipe", "inherit"] },
        );
        let out = "";
        loop.stdout.on("data", (d: Buffer) => (out += d));
        const done = new Promise((resolve) => loop.on("close", resolve));
        // The contention is the emulation's own: each node's one emulated CPU is saturated (load 3-4,
        // no idle time) while three containers start on the worker. A host busy loop on top starved
        // them past their health checks (Swarm stopped them and rolled back): a starved lab, not a
        // lost request.
        let result: RunResult;
        try {
            result = await lab.up({ ...base, nginxImage: V2 }, { title: "up with a new image" });
        } finally {
            execFileSync("touch", ["/tmp/cluster-lab-e2e-stop"]);
            await done;
            execFileSync("rm", ["-f", "/tmp/cluster-lab-e2e-stop"]);
        }
        expectOk(result);
        const answers = out.trim().split("\n");
        const failed = answers.filter((a) => !a.startsWith("200 "));
        const byCode = failed.reduce<Record<string, number>>((n, a) => ({ ...n, [a.split(" ")[0]]: (n[a.split(" ")[0]] ?? 0) + 1 }), {});
        console.log(
            `rolling update: ${answers.length - failed.length} requests answered, ${failed.length} failed ${JSON.stringify(byCode)}`,
        );
        if (failed.length > 0) {
            // What the nodes saw meanwhile: a peer dropped from the overlay's gossip loses its tasks' routes.
            for (const node of nodes) {
                const seen = await lab.ssh(
                    node,
                    "sudo journalctl -u docker --since '-15min' --no-pager -o short-precise | grep -E 'NodeFailed|left gossip|heartbeat to manager' | tail -n 10 || true",
                );
                console.log(`${node} gossip and heartbeats:\n${seen}`);
            }
        }
        expect(failed).toEqual([]);
        expect(answers.length).toBeGreaterThan(20);
        expect(await docker("swarm-manager1", "service inspect lab_web --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'")).toBe(V2);
        for (const node of nodes) expect(await lab.get(`http://${lab.ip(node)}:8001/`)).toContain("cluster-lab nginx v2");
    });

    it("moves swarm-worker1 to the newest image (--replace its image stash): a new instance joins, the old node is drained and removed before it goes, no Down node", async () => {
        const old = lab.instance("swarm-worker1");
        const stash = "swarm-worker1-image-debian-12-amd64";
        const result = await lab.up({ ...base, nginxImage: V2 }, { title: `up --replace ${stash}`, replace: [stash] });
        expectOk(result);
        const fresh = lab.instance("swarm-worker1");
        expect(fresh.id).not.toBe(old.id);
        expect(fresh.ami).toBe(newerImage);
        expect(lab.instance("swarm-manager1").ami).toBe(old.ami);
        expect(lab.cloud.instance(old.id)).toBeUndefined();
        const deleted = result.deleted.map((d) => d.name);
        expect(deleted).toEqual(expect.arrayContaining(["swarm-worker1-membership", "swarm-worker1"]));
        expect(deleted.indexOf("swarm-worker1-membership")).toBeLessThan(deleted.indexOf("swarm-worker1"));
        expect(lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}}'"))).toEqual([
            "swarm-manager1 Ready",
            "swarm-worker1 Ready",
        ]);
        // The old node's hook waited for its replicas to run elsewhere: on the new worker, the only one.
        expect(await runningNodes("lab_web")).toEqual(["swarm-worker1", "swarm-worker1"]);
        await eventually("the sample app on the new worker's public address", 120_000, async () =>
            (await lab.get(`http://${fresh.publicIp}:8001/`)).includes("cluster-lab nginx v2") ? true : undefined,
        );
    });

    it("runs the course's Swarm lesson as the login user, without sudo, on the course ports", async () => {
        // As a course writes it (its own ports beside the sample app's, the local images for nginx).
        // `service create`, `update` and `scale` wait for the service to converge: minutes under emulation
        // (a worker starting four tasks misses heartbeats, and Swarm restarts its tasks).
        const course = (cmd: string) => lab.ssh("swarm-manager1", cmd, { timeoutMs: 600_000 });
        // A miss names the service's tasks and each node's ingress rules: what CI's log keeps of it.
        const answersEverywhere = (port: number, text: string, service: string) =>
            eventually(`${text} on :${port} of every node`, 300_000, async () => {
                for (const node of nodes) if (!(await lab.get(`http://${lab.ip(node)}:${port}/`)).includes(text)) return undefined;
                return true;
            }).catch(async (err: unknown) => {
                const tasks = await tryRun(
                    "swarm-manager1",
                    `sudo docker service ps --no-trunc --format '{{.Node}} {{.CurrentState}} {{.Error}}' ${service}`,
                );
                const ingress = await Promise.all(
                    nodes.map(async (n) => {
                        const seen = await tryRun(
                            n,
                            `sudo docker ps -q | wc -l; sudo iptables -t nat -S DOCKER-INGRESS | grep -c 'dport ${port} ' || true`,
                        );
                        return `${n} (${lab.ip(n)}): containers, ingress rules for :${port}: ${seen.trim().split("\n").join(", ")}`;
                    }),
                );
                throw new Error(`${String(err)}\n${service} tasks:\n${tasks}\n${ingress.join("\n")}`);
            });
        expect(await course("id -un; docker node ls --format '{{.Hostname}}' | sort")).toBe(`admin\n${nodes.join("\n")}`);
        await course(
            "docker service create --name web-alb --constraint node.role==worker --replicas 2 --publish 8010:80 cluster-lab/nginx:1",
        );
        await answersEverywhere(8010, "cluster-lab nginx v1", "web-alb");
        expect((await runningNodes("web-alb")).every((n) => n.startsWith("swarm-worker"))).toBe(true);
        await course("docker service create --name web-every --mode global --publish 8011:80 cluster-lab/nginx:1");
        expect(await runningNodes("web-every")).toEqual(nodes);

        await course("docker service update --update-delay 5s --update-parallelism 2 --image cluster-lab/nginx:2 web-alb");
        await answersEverywhere(8010, "cluster-lab nginx v2", "web-alb");
        const pretty = await course("docker service inspect --pretty web-alb");
        expect(pretty).toMatch(/Parallelism:\s+2/);
        expect(pretty).toMatch(/Delay:\s+5s/);
        await course("docker service rollback web-alb");
        await answersEverywhere(8010, "cluster-lab nginx v1", "web-alb");
        await course("docker service scale web-alb=4");
        expect(await course("docker service ls --filter name=web-alb --format '{{.Replicas}}'")).toBe("4/4");
        expect(await course("docker service logs --raw web-alb 2>&1 | tail -n 20")).toMatch(/"GET \/ HTTP\/1\.1" 200/);

        await course("docker node update --availability drain swarm-manager1");
        await eventually("no task left on the drained manager", 120_000, async () =>
            (await runningNodes("web-every")).includes("swarm-manager1") ? undefined : true,
        );
        await course("docker node update --availability active swarm-manager1");
        // The course clears the lesson's services before stacks; left running, they keep seven nginx
        // tasks on the one emulated CPU of the worker beside the stack's.
        await course("docker service rm web-alb web-every");

        await course(`cat >my-stack.yml <<'EOF'
version: "3.8"
services:
  front:
    image: cluster-lab/nginx:2
    ports: ["8012:80"]
    deploy: {replicas: 2}
EOF
docker stack deploy -c my-stack.yml shop`);
        await answersEverywhere(8012, "cluster-lab nginx v2", "shop_front");

        await course("docker stack rm shop");
        await eventually("the program's visualizer back on the manager", 180_000, async () =>
            (await runningNodes("lab_visualizer")).length === 1 ? true : undefined,
        );
    });

    it("put no secret in any process argument on any node", async () => {
        // The secrets the state holds: join tokens, the private key (one line of its body suffices).
        const secrets = JSON.stringify(lab.state().map((r) => unwrap(r.outputs)));
        const tokens = [...new Set(secrets.match(/SWMTKN-1-[0-9a-z]+-[0-9a-z]+/g) ?? [])];
        const keyLine = /PRIVATE KEY-----\\n([A-Za-z0-9+/=]{40,})/.exec(secrets)?.[1];
        expect(tokens.length).toBeGreaterThanOrEqual(2);
        expect(keyLine).toBeDefined();
        for (const node of nodes) {
            const seen = (await lab.ssh(node, "sudo cat /var/lib/cluster-lab/cmdlines")).split("\n");
            expect(seen.length).toBeGreaterThan(50);
            expect(
                seen.filter((line) => [...tokens, keyLine!].some((t) => line.includes(t)) || /SWMTKN-1-|PRIVATE KEY/.test(line)),
            ).toEqual([]);
            // Nor in the journal (sudo's log among it) or any file under /var/log. The patterns are
            // bracketed so that this command's own line, which sudo logs, does not match itself.
            expect(
                await lab.ssh(
                    node,
                    "sudo sh -c \"{ journalctl --no-pager -o cat; find /var/log -type f -exec cat {} +; } 2>/dev/null | grep -a -c -e 'SWMTKN-1[-]' -e 'PRIVATE[ ]KEY' || true\"",
                ),
            ).toBe("0");
        }
    });

    it("comes back from a reclaimed worker: refresh drops its instance, the next up makes a new one and removes the Down node", async () => {
        const old = lab.instance("swarm-worker1");
        lab.cloud.terminateInstance(old.id); // as AWS reclaims a spot instance, or someone deletes it
        const refreshed = await lab.refresh();
        expectOk(refreshed);
        expect(refreshed.operations?.filter((o) => o.op === "delete").map((o) => o.name)).toEqual(["swarm-worker1"]);
        const result = await lab.up({ ...base, nginxImage: V2 }, { title: "up after the refresh" });
        expectOk(result);
        expect(lab.instance("swarm-worker1").id).not.toBe(old.id);
        // The new instance id replaced the membership: the old half's hook removed the old node.
        expect(result.deleted.map((d) => d.name)).toContain("swarm-worker1-membership");
        expect(lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}}'"))).toEqual([
            "swarm-manager1 Ready",
            "swarm-worker1 Ready",
        ]);
        // The old node was Down: its hook finds no task to wait for, and up returns once the new
        // node is Ready; the sample tasks Swarm rescheduled start on it right after.
        const returned = Date.now();
        await eventually("the sample app on the new worker", 300_000, async () =>
            (await lab.get(`http://${lab.ip("swarm-worker1")}:8001/`)).includes("cluster-lab nginx v2") ? true : undefined,
        );
        console.log(`-- the sample app answered on the new worker ${((Date.now() - returned) / 1000).toFixed(1)}s after up returned`);
    });

    it("destroys with the first manager already stopped: nothing left, hooks in reverse order", async () => {
        lab.cloud.stopInstance(lab.instance("swarm-manager1").id);
        const result = await lab.destroy({ title: "destroy, first manager stopped" });
        expectOk(result);
        const order = result.deleted.map((d) => d.name);
        for (const worker of nodes.filter((n) => n.includes("worker"))) {
            expect(order.indexOf(`${worker}-membership`)).toBeLessThan(order.indexOf(`${worker}-join`));
            expect(order.indexOf(`${worker}-join`)).toBeLessThan(order.indexOf(worker));
            expect(order.indexOf(`${worker}-membership`)).toBeLessThan(order.indexOf("swarm-manager1"));
        }
        expect(lab.cloud.instances()).toEqual([]);
        expect(lab.state()).toEqual([]);
    });
});

describe.sequential("A managers-only lab: 3 managers, no sample app", () => {
    // Its own lab, three VMs: four emulated nodes running the sample stack on two cores missed
    // their heartbeats (nodes Down), and a manager join against a starved leader timed out after
    // Raft had admitted it (no quorum).
    const base = { managers: "3", workers: "0", sampleApp: "false" };

    it("forms a 3-manager swarm, the managers joining one after the other: one Leader, two Reachable", async () => {
        lab.forget();
        const result = await lab.up(base, { title: "first up (3+0)" });
        expectOk(result);
        const ran = (name: string) => result.commands.find((c) => c.name === name && c.kind === "create")!;
        expect(ran("swarm-manager3-join").start).toBeGreaterThanOrEqual(ran("swarm-manager2-membership").end);
        // Exactly one entry per node: no dead Raft member from a manager join that failed.
        expect(lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}}'"))).toEqual([
            "swarm-manager1 Ready",
            "swarm-manager2 Ready",
            "swarm-manager3 Ready",
        ]);
        const managers = lines(await docker("swarm-manager1", "node ls --format '{{.ManagerStatus}}'"));
        expect(managers).toEqual(["Leader", "Reachable", "Reachable"]);
        expect(await lab.ssh("swarm-manager3", "grep -c swarm-manager2 /etc/hosts")).toBe("1");
    });

    it("shrinks to 1 manager: drains, demotes and removes each before its instance goes, the last first, quorum kept", async () => {
        const leaving = ["swarm-manager2", "swarm-manager3"].map((n) => lab.instance(n).id);
        const result = await lab.up({ ...base, managers: "1" }, { title: "up back to 1 manager" });
        expectOk(result);
        const deleted = result.deleted.map((d) => d.name);
        for (const node of ["swarm-manager2", "swarm-manager3"]) {
            expect(deleted).toEqual(expect.arrayContaining([`${node}-membership`, `${node}-join`, node]));
            expect(deleted.indexOf(`${node}-membership`)).toBeLessThan(deleted.indexOf(node));
            expect(result.deleted.find((d) => d.name === `${node}-membership`)?.skipped).toBeUndefined();
        }
        // Managers leave Raft one at a time, the last first.
        expect(deleted.indexOf("swarm-manager3-membership")).toBeLessThan(deleted.indexOf("swarm-manager2-membership"));
        expect(lines(await docker("swarm-manager1", "node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'"))).toEqual([
            "swarm-manager1 Ready Leader",
        ]);
        const ids = lab.cloud.instances().map((i) => i.id);
        for (const id of leaving) expect(ids).not.toContain(id);
        expect(ids).toHaveLength(1);
        expectOk(await lab.destroy({ title: "destroy the managers-only lab" }));
        expect(lab.cloud.instances()).toEqual([]);
    });
});

describe.sequential("A lab of prepared nodes: 1 manager + 1 worker (lab:form nodes)", () => {
    const base = { managers: "1", workers: "1", form: "nodes" };

    it("after a first up that fails once the instances exist, the operator still gets a working key from the state", async () => {
        lab.forget();
        // The operator's script, with the fake pulumi: its `pulumi up` fails at a node step, as a
        // provider error would, after the instances exist.
        const run = await lab.operatorScript(["up", "e2e", "--yes"], base, {
            title: "lab.sh up, failing at a node step",
            fail: ["swarm-worker1-hosts"],
        });
        expect(run.code).not.toBe(0);
        expect(run.result?.ok).toBe(false);
        expect(run.result?.error).toContain("swarm-worker1-hosts");
        expect(lab.cloud.instances()).toHaveLength(2);
        // No outputs from a failed first up; the key is in the state, where lab.sh found it.
        await expect(lab.pulumi(["stack", "output", "privateKey", "--show-secrets"])).rejects.toThrow(/privateKey/);
        expect(run.output).toContain("SSH key saved to e2e.pem");
        const pem = path.resolve(__dirname, "..", "..", "e2e.pem");
        expect(fs.statSync(pem).mode & 0o777).toBe(0o600);
        const exported = JSON.parse(await lab.pulumi(["stack", "export", "--show-secrets"]));
        const key = exported.deployment.resources.find((r: { type: string }) => r.type === "tls:index/privateKey:PrivateKey");
        expect(`${JSON.parse(key.outputs.privateKeyOpenssh.plaintext).trim()}\n`).toBe(fs.readFileSync(pem, "utf8"));
        expect(JSON.stringify(JSON.parse(await lab.pulumi(["stack", "export"])))).not.toMatch(/PRIVATE KEY/);
        const ssh = execFileSync(
            fromOutside("operator")[0],
            [
                ...fromOutside("operator").slice(1),
                "ssh",
                "-i",
                pem,
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
                `admin@${lab.ip("swarm-manager1")}`,
                "hostname",
            ],
            { encoding: "utf8" },
        );
        expect(ssh.trim()).toBe("swarm-manager1");
    });

    it("completes on the next up, and the learner forms the swarm from nextSteps as the login user", async () => {
        const result = await lab.up(base, { title: "up again after the failure" });
        expectOk(result);
        expect(result.commands.map((c) => c.node)).toContain("swarm-worker1");
        const steps = String(result.outputs.nextSteps.value);
        for (const node of ["swarm-manager1", "swarm-worker1"]) {
            expect(await lab.ssh(node, "docker info --format '{{.Swarm.LocalNodeState}}'")).toBe("inactive");
        }
        const init = /docker swarm init --advertise-addr [0-9.]+/.exec(steps)?.[0];
        expect(init).toBeDefined();
        await lab.ssh("swarm-manager1", init!);
        // The learner copies the join command the manager prints onto the worker (it names the manager by address).
        const join = (await lab.ssh("swarm-manager1", "docker swarm join-token worker"))
            .split("\n")
            .map((l) => l.trim())
            .find((l) => l.startsWith("docker swarm join"));
        await lab.ssh("swarm-worker1", join!);
        expect(lines(await lab.ssh("swarm-manager1", "docker node ls --format '{{.Hostname}} {{.Status}}'"))).toEqual([
            "swarm-manager1 Ready",
            "swarm-worker1 Ready",
        ]);
    });

    it("ends by itself at its expiry: each node reads the ExpiresAt tag, powers off and is terminated", async () => {
        // The tag as `lab.sh extend` or the first up sets it, moved into the past (time passing).
        const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z");
        for (const node of ["swarm-manager1", "swarm-worker1"]) {
            const record = lab.instance(node);
            expect(record.tags.ExpiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
            lab.cloud.modifyInstance(record.id, { tags: { ...record.tags, ExpiresAt: past } });
        }
        await eventually("every instance terminated", 300_000, async () => (lab.cloud.instances().length === 0 ? true : undefined));
    });

    it("destroys from the runner's address (outside allowedCidr) and leaves nothing", async () => {
        const run = await lab.operatorScript(["destroy", "e2e", "--yes"], {}, { as: "runner", title: "lab.sh destroy from the runner" });
        expect(run.code).toBe(0);
        expectOk(run.result!);
        expect(fs.existsSync(path.resolve(__dirname, "..", "..", "e2e.pem"))).toBe(false);
        expect(lab.cloud.instances()).toEqual([]);
        expect(lab.state()).toEqual([]);
        lab.cloud.destroyAll();
        const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
        expect(links).not.toMatch(/clab0|clab-/);
        expect(execFileSync("ps", ["-eo", "comm"], { encoding: "utf8" })).not.toMatch(/qemu-system|dnsmasq/);
        expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toMatch(/clab-/);
    });
});
