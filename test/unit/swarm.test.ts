// The Swarm lab under Pulumi mocks: nodes and steps, the critical path, how nodes join and leave,
// what each step receives, and the sample stack.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseLab } from "../../components/config";
import { parseJoinTokens } from "../../components/swarm/cluster";
import { swarmStackCompose } from "../../components/swarm/stack";
import type { SwarmConfig } from "../../components/swarm/config";
import { COMMAND, exported, FAKE_TOKENS, INSTANCE, names, runLab, SECURITY_GROUP, stdinOf } from "../harness";
import { ENV, raw } from "../support/config";
import { secondRunSteps } from "../support/second-run";

const swarmConfig = (values: Record<string, string>) => parseLab(raw(values), ENV).config as SwarmConfig;

describe("swarm graph", () => {
    it.each([
        [1, 0],
        [1, 2],
        [3, 5],
    ])(
        "%i manager(s) + %i worker(s): one instance, gate and hosts per node, a join and membership per extra node",
        async (managers, workers) => {
            const run = await runLab({ managers: String(managers), workers: String(workers) });
            const expected = [
                ...Array.from({ length: managers }, (_, i) => `swarm-manager${i + 1}`),
                ...Array.from({ length: workers }, (_, i) => `swarm-worker${i + 1}`),
            ];
            expect(names(run, INSTANCE)).toEqual([...expected].sort());
            const commands = names(run, COMMAND);
            const joined = expected.slice(1);
            expect(commands).toEqual(
                [
                    ...expected.map((n) => `${n}-gate`),
                    ...expected.map((n) => `${n}-hosts`),
                    ...joined.map((n) => `${n}-join`),
                    ...joined.map((n) => `${n}-membership`),
                    "swarm-init",
                    "stack-deploy",
                ].sort(),
            );
            expect(run.outputs.nodes.value.map((n: { name: string; role: string }) => `${n.name}:${n.role}`)).toEqual(
                expected.map((n) => `${n}:${n.includes("manager") ? "manager" : "worker"}`),
            );
            expect(run.outputs.nginxUrls.value).toHaveLength(managers + workers);
            expect(run.ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
            expect(run.ofType("aws:ec2/securityGroup:SecurityGroup")).toHaveLength(1);
        },
    );

    it("orders the critical path gate -> hosts -> init -> joins -> deploy, workers joining independently", async () => {
        const run = await runLab({ managers: "3", workers: "2" });
        const urn = (name: string) => run.byName(name).urn;
        const others = ["swarm-manager2", "swarm-manager3", "swarm-worker1", "swarm-worker2"];

        expect(run.dependsOn("swarm-manager1-hosts")).toContain(urn("swarm-manager1-gate"));
        expect(run.dependsOn("swarm-init")).toContain(urn("swarm-manager1-hosts"));
        for (const node of others) {
            const join = run.dependsOn(`${node}-join`);
            expect(join).toContain(urn("swarm-init"));
            expect(join).toContain(urn(`${node}-hosts`));
            expect(join).toContain(urn(`${node}-gate`));
            // A worker waits for no other node; a manager for the managers before it (next test).
            for (const other of others.filter((o) => o !== node && (node.includes("worker") || !o.includes("manager")))) {
                expect(join).not.toContain(urn(`${other}-join`));
                expect(join).not.toContain(urn(`${other}-hosts`));
            }
            expect(run.dependsOn("stack-deploy")).toContain(urn(`${node}-join`));
            expect(run.dependsOn(`${node}-membership`)).toContain(urn(`${node}-join`));
        }
        // Memberships only verify and hold the delete hook: the deploy does not wait for them.
        expect(run.dependsOn("stack-deploy")).not.toContain(urn("swarm-worker1-membership"));
        // Each gate waits for its own instance only.
        expect(run.dependsOn("swarm-worker1-gate")).toContain(urn("swarm-worker1"));
        expect(run.dependsOn("swarm-worker1-gate")).not.toContain(urn("swarm-worker2"));
    });
});

describe("swarm membership", () => {
    it("removes a node from the swarm when its instance is replaced, and skips every hook when the first manager goes", async () => {
        const run = await runLab({ managers: "3", workers: "2" });
        const leader = run.byName("swarm-manager1").urn;
        for (const node of ["swarm-manager2", "swarm-manager3", "swarm-worker1", "swarm-worker2"]) {
            const instance = run.byName(node).urn;
            expect(run.byName(`${node}-join`).options.replaceWith).toEqual([instance]);
            const membership = run.byName(`${node}-membership`);
            expect(membership.options.replaceWith).toEqual([instance]);
            // pulumi destroy deletes the first manager: no membership hook runs, so no SSH is needed.
            expect(membership.options.deletedWith).toBe(leader);
        }
        expect(run.byName("swarm-init").options.deletedWith).toBeUndefined();
    });

    it("removes the old node when its instance comes back as a create, after `pulumi refresh` dropped a reclaimed one", async () => {
        const first = await runLab();
        // The refresh left no swarm-worker1 in the state: the next up creates a new instance, which
        // replaces nothing, so replaceWith does not fire; its new id must replace the steps.
        const next = await runLab({}, (args) =>
            args.type === INSTANCE && args.name === "swarm-worker1"
                ? { id: "i-recreated", state: { ...args.inputs, publicIp: "203.0.113.99", privateIp: "10.42.1.99" } }
                : undefined,
        );
        const steps = secondRunSteps(first, next, COMMAND);
        expect(steps["swarm-worker1-join"].op).toBe("replace");
        // Replaced, its old half is deleted after the new one is created: the hook removes the old node.
        expect(steps["swarm-worker1-membership"].op).toBe("replace");
        expect(steps["swarm-worker2-membership"].op).toBe("same");
        expect(steps["swarm-worker2-join"].op).toBe("same");
    });

    it("adds managers one at a time: each joins once the one before is a reachable member", async () => {
        const run = await runLab({ managers: "5", workers: "2" });
        const urn = (name: string) => run.byName(name).urn;
        for (const [before, after] of [
            ["swarm-manager2", "swarm-manager3"],
            ["swarm-manager3", "swarm-manager4"],
            ["swarm-manager4", "swarm-manager5"],
        ]) {
            expect(run.dependsOn(`${after}-join`)).toContain(urn(`${before}-membership`));
        }
        expect(stdinOf(run, "swarm-manager2-membership")).toContain("Reachability");
    });

    it("removes managers one at a time, the last first: each manager's membership depends on the previous one", async () => {
        const run = await runLab({ managers: "5", workers: "2" });
        const membership = (node: string) => run.byName(`${node}-membership`);
        expect(membership("swarm-manager3").dependencies).toContain(membership("swarm-manager2").urn);
        expect(membership("swarm-manager4").dependencies).toContain(membership("swarm-manager3").urn);
        expect(membership("swarm-manager5").dependencies).toContain(membership("swarm-manager4").urn);
        expect(membership("swarm-manager2").dependencies).not.toContain(membership("swarm-manager3").urn);
        // Workers leave without waiting for each other or for managers.
        for (const worker of ["swarm-worker1", "swarm-worker2"]) {
            expect(run.dependsOn(`${worker}-membership`)).not.toContain(membership("swarm-manager2").urn);
            expect(run.dependsOn(`${worker}-membership`)).not.toContain(
                membership(worker === "swarm-worker1" ? "swarm-worker2" : "swarm-worker1").urn,
            );
        }
    });

    it("gives each membership a drain-and-remove hook for the node's ID, run on the first manager", async () => {
        const run = await runLab({ workers: "1" });
        const join = run.byName("swarm-worker1-join");
        const membership = run.byName("swarm-worker1-membership");
        expect(join.inputs.delete).toBeUndefined();
        expect(membership.inputs.delete).toMatch(/export NODE_ID='\\''node-id-swarm-worker1-join'\\''/);
        expect(membership.inputs.delete).toContain("docker node rm --force");
        expect(membership.inputs.delete).toContain("LAB_NODE=swarm-manager1 LAB_STEP=membership-of-swarm-worker1-delete");
        expect(membership.inputs.connection.host).toBe(run.byName("swarm-manager1").state.publicIp);
        // Replacing a step with a delete hook runs the hook: only hook-less steps carry the script hash
        // trigger; the membership is replaced only with its node's instance.
        const [instanceId] = membership.inputs.triggers as string[];
        expect(membership.inputs.triggers).toEqual([expect.stringMatching(/^i-\d+$/)]);
        expect(join.inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/), instanceId]);
        expect(run.byName("swarm-init").inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
        expect(run.byName("swarm-init").inputs.delete).toBeUndefined();
    });
});

describe("swarm steps", () => {
    it("renders each script with its variables exported at the top and a trap naming node and step", async () => {
        const run = await runLab({ managers: "3", workers: "1", drainManagers: "true" });
        const ip = (node: string) => run.byName(node).state.privateIp;

        const init = stdinOf(run, "swarm-init");
        expect(init).toContain(`export ADVERTISE_ADDR='${ip("swarm-manager1")}'`);
        expect(init).toContain("export DRAIN='true'");
        expect(init).toContain("docker swarm init --advertise-addr");
        expect(init.indexOf("trap ")).toBeLessThan(init.indexOf("export ADVERTISE_ADDR"));

        const managerJoin = stdinOf(run, "swarm-manager2-join");
        expect(managerJoin).toContain(`export JOIN_TOKEN='${FAKE_TOKENS.manager}'`);
        expect(managerJoin).toContain("export ROLE='manager'");
        expect(managerJoin).toContain(`export MANAGER_ADDR='${ip("swarm-manager1")}'`);
        expect(managerJoin).toContain(`export ADVERTISE_ADDR='${ip("swarm-manager2")}'`);
        const workerJoin = stdinOf(run, "swarm-worker1-join");
        expect(workerJoin).toContain(`export JOIN_TOKEN='${FAKE_TOKENS.worker}'`);
        expect(workerJoin).toContain("export ROLE='worker'");

        const hosts = stdinOf(run, "swarm-worker1-hosts");
        expect(hosts).toContain("export LAB_HOSTNAME='swarm-worker1'");
        const entries = ["swarm-manager1", "swarm-manager2", "swarm-manager3", "swarm-worker1"].map((n) => `${ip(n)} ${n}`);
        expect(hosts).toContain(`export HOSTS_ENTRIES='${entries.join("\n")}'`);

        // Every command runs on the node it names; memberships run on the first manager.
        for (const command of run.ofType(COMMAND)) {
            const node = /LAB_NODE=([a-z0-9-]+)/.exec(command.inputs.create)![1];
            expect(command.inputs.connection.host).toBe(run.byName(node).state.publicIp);
        }
        expect(run.byName("swarm-worker1-membership").inputs.create).toContain("LAB_NODE=swarm-manager1");
    });

    it("builds the sample stack's compose file from the config (workers only when there are workers)", () => {
        const compose = parse(
            swarmStackCompose(swarmConfig({ workers: "2", nginxReplicas: "4", nginxImage: "nginx:1.27.3", publishedPort: "8081" })),
        );
        expect(compose.services.web).toMatchObject({
            image: "nginx:1.27.3",
            ports: [{ target: 80, published: 8081, protocol: "tcp", mode: "ingress" }],
            deploy: {
                mode: "replicated",
                replicas: 4,
                placement: { constraints: ["node.role == worker"] },
                update_config: { parallelism: 1, order: "start-first", failure_action: "rollback" },
                rollback_config: { parallelism: 1 },
            },
        });
        expect(compose.services["web-global"].deploy.mode).toBe("global");
        expect(compose.services["web-global"].ports[0].published).toBe(8002);
        expect(compose.networks.web.driver).toBe("overlay");
        const alone = parse(swarmStackCompose(swarmConfig({ workers: "0" })));
        expect(alone.services.web.deploy.placement).toBeUndefined();
    });

    it("rolls out without losing requests: a task joins the mesh once healthy, and stops gracefully", () => {
        const compose = parse(swarmStackCompose(swarmConfig({})));
        for (const service of Object.values<any>(compose.services)) {
            expect(service.healthcheck.test).toEqual(["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/"]);
            // A probe is an exec: on a node short of CPU it is slow, and only a hung one may fail.
            expect(service.healthcheck).toMatchObject({ interval: "30s", timeout: "30s" });
            expect(service.stop_signal).toBe("SIGQUIT");
            expect(service.stop_grace_period).toBe("20s");
            expect(service.deploy.update_config.order).toBe("start-first");
        }
    });

    it("deploys that compose file from the first manager, waiting for every node", async () => {
        const run = await runLab({ workers: "2", nginxReplicas: "4" });
        const script = stdinOf(run, "stack-deploy");
        expect(exported(script, "STACK_COMPOSE")).toBe(
            swarmStackCompose(swarmConfig({ workers: "2", nginxReplicas: "4" })).replace(/'/g, "'\\''"),
        );
        expect(exported(script, "EXPECTED_NODES")).toBe("3");
        expect(run.byName("stack-deploy").inputs.create).toContain("LAB_NODE=swarm-manager1 LAB_STEP=deploy");
    });

    it("reads the join tokens from the init step, and never quotes its output in an error", () => {
        expect(parseJoinTokens(JSON.stringify(FAKE_TOKENS))).toEqual(FAKE_TOKENS);
        for (const bad of [`{"worker":"${FAKE_TOKENS.worker}","manager":""}`, `Error: ${FAKE_TOKENS.manager} rejected`, "{"]) {
            expect(() => parseJoinTokens(bad)).toThrow("the init step on the first manager did not print the join tokens");
            try {
                parseJoinTokens(bad);
            } catch (err) {
                expect((err as Error).message).not.toContain("SWMTKN");
            }
        }
    });
});

describe("a lab for a course", () => {
    const table = (run: Awaited<ReturnType<typeof runLab>>) =>
        run
            .ofType(SECURITY_GROUP)[0]
            .inputs.ingress.filter((r: any) => !r.self)
            .map((r: any) => `${r.description} ${r.fromPort}-${r.toPort}`)
            .sort();

    it("opens the course range to allowedCidr by default, and lab:openPorts replaces it", async () => {
        expect(table(await runLab())).toEqual(["SSH 22-22", "course ports 7070-7070", "course ports 8000-8099"]);
        // The sample app's own ports are opened when the course range leaves them out.
        expect(table(await runLab({ openPorts: "9000-9009" }))).toEqual([
            "SSH 22-22",
            "course ports 9000-9009",
            "nginx (web) 8001-8001",
            "nginx (web-global) 8002-8002",
        ]);
        expect(table(await runLab({ openPorts: "9000", sampleApp: "false", visualizer: "true" }))).toEqual([
            "SSH 22-22",
            "course ports 9000-9000",
            "visualizer 7070-7070",
        ]);
    });

    it("deploys no sample services with lab:sampleApp false, and the visualizer alone when asked", async () => {
        const bare = await runLab({ sampleApp: "false" });
        expect(names(bare, COMMAND).filter((n) => n.startsWith("stack-"))).toEqual([]);
        expect(bare.outputs.nginxUrls).toBeUndefined();
        expect(bare.outputs.services).toBeUndefined();
        const viz = await runLab({ sampleApp: "false", visualizer: "true" });
        const compose = parse(exported(stdinOf(viz, "stack-deploy"), "STACK_COMPOSE")!.replace(/'\\''/g, "'"));
        expect(Object.keys(compose.services)).toEqual(["visualizer"]);
        expect(compose.services.visualizer).toMatchObject({
            image: "dockersamples/visualizer",
            ports: [{ target: 8080, published: 7070, protocol: "tcp", mode: "ingress" }],
            volumes: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
            deploy: { placement: { constraints: ["node.role == manager"] } },
        });
        expect(viz.outputs.visualizerUrl.value).toBe(`http://${viz.byName("swarm-manager1").state.publicIp}:7070`);
    });

    it("prepares nodes and forms nothing with lab:form nodes, and prints the commands that form this lab", async () => {
        const run = await runLab({ form: "nodes", managers: "3", workers: "2" });
        const commands = names(run, COMMAND);
        expect(commands.filter((n) => !/-(gate|hosts)$/.test(n))).toEqual([]);
        expect(commands).toHaveLength(10);
        const ip = (node: string) => run.byName(node).state.privateIp;
        const steps = run.outputs.nextSteps.value as string;
        expect(steps).toContain(`docker swarm init --advertise-addr ${ip("swarm-manager1")}`);
        expect(steps).toContain("On swarm-worker1, swarm-worker2: run the worker's join command, which ends in swarm-manager1:2377");
        expect(steps).toContain("On swarm-manager2, swarm-manager3: run the manager's join command");
        expect(steps).toContain("scripts/operator/lab.sh reset");
        expect(run.outputs.nextSteps.secret).toBe(false);
        expect(run.outputs.nginxUrls).toBeUndefined();
        // The Swarm ports stay open between the nodes, for the learner's own init and joins.
        expect(
            run
                .ofType(SECURITY_GROUP)[0]
                .inputs.ingress.filter((r: any) => r.self)
                .map((r: any) => r.fromPort),
        ).toContain(2377);
    });
});
