// The Swarm node scripts, rendered and run as remote.ts sends them, with a stateful stub docker
// and logging stubs on PATH: each second run shows what an idempotent script skips.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SWARM_SCRIPTS } from "../../components/swarm/node-scripts";
import { calledWith, sandbox } from "../support/sandbox";

const swarmBox = (state: Record<string, unknown> = {}) => sandbox({ stubs: ["docker", "curl", ...LOGGED], state });
/** The join request the Docker API receives (its token travels in the body, never in a process argument). */
const joinRequest = (token: string, advertise: string, manager: string) =>
    `curl /swarm/join {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"${advertise}","RemoteAddrs":["${manager}:2377"],"JoinToken":"${token}"}`;

const LOGGED = ["hostnamectl", "cloud-init", "systemctl", "apt-get", "sleep", "usermod"];
const TOKENS = { worker: "SWMTKN-1-aaaa-worker", manager: "SWMTKN-1-aaaa-mgr" };

describe("swarm-init.sh", () => {
    it("inits once, prints only the tokens on stdout and never a token on stderr", () => {
        const box = swarmBox();
        const env = { ADVERTISE_ADDR: "10.42.1.10", DRAIN: "false" };
        const first = box.run(SWARM_SCRIPTS.init, env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "docker swarm init")).toEqual(["docker swarm init --advertise-addr 10.42.1.10"]);
        expect(JSON.parse(first.stdout)).toEqual(TOKENS);
        expect(first.stderr).not.toContain("SWMTKN");
        expect(calledWith(first.calls, "docker node update")).toEqual(["docker node update --availability active node-abc"]);

        const second = box.run(SWARM_SCRIPTS.init, env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "docker swarm init")).toEqual([]);
        expect(second.stderr).toContain("already managing swarm");
        expect(JSON.parse(second.stdout)).toEqual(TOKENS);
    });

    it("leaves a stale membership before it inits, and drains when asked", () => {
        const box = swarmBox({ swarm: "active", manager: false, remote: "10.9.9.9:2377" });
        const result = box.run(SWARM_SCRIPTS.init, { ADVERTISE_ADDR: "10.42.1.10", DRAIN: "true" });
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
        const box = swarmBox();
        const first = box.run(SWARM_SCRIPTS.join, env);
        expect(first.code).toBe(0);
        expect(calledWith(first.calls, "curl /swarm/join")).toEqual([joinRequest(TOKENS.worker, "10.42.1.11", "10.42.1.10")]);
        expect(first.stdout.trim().split("\n").pop()).toBe("node-abc");
        expect(first.stderr).not.toContain("SWMTKN");
        // No command line ever carries the token: `docker swarm join --token` would show it in `ps`.
        expect(first.calls.filter((call) => !call.startsWith("curl /swarm/join") && call.includes("SWMTKN"))).toEqual([]);
        expect(calledWith(first.calls, "docker node update")).toEqual([]); // workers cannot update nodes

        const second = box.run(SWARM_SCRIPTS.join, env);
        expect(second.code).toBe(0);
        expect(calledWith(second.calls, "curl /swarm/join")).toEqual([]);
        expect(calledWith(second.calls, "docker swarm leave")).toEqual([]);
        expect(second.stderr).toContain("already a member of the swarm of 10.42.1.10");
    });

    it("moves from another swarm to the lab's, and retries a join the manager turned down", () => {
        const box = swarmBox({ swarm: "active", remote: "10.9.9.9:2377", joinFailures: 2 });
        const result = box.run(SWARM_SCRIPTS.join, env);
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "curl /swarm/join")).toHaveLength(3);
        expect(calledWith(result.calls, "docker swarm leave --force")).toHaveLength(1); // the old swarm; a refused join leaves none
        expect(box.state().remote).toBe("10.42.1.10:2377");
    });

    it("waits for a join the daemon timed out on to finish in the background, and never leaves it", () => {
        // Leaving it would leave a dead member in Raft: the managers lose their quorum when scaled down.
        const box = swarmBox({ joinTimeouts: 1, pendingPolls: 4 });
        const result = box.run(SWARM_SCRIPTS.join, { ...env, JOIN_TOKEN: TOKENS.manager, ROLE: "manager" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "curl /swarm/join")).toHaveLength(1);
        expect(calledWith(result.calls, "docker swarm leave")).toEqual([]);
        expect(box.state()).toMatchObject({ swarm: "active", manager: true, remote: "10.42.1.10:2377" });
        expect(result.stdout.trim().split("\n").pop()).toBe("node-abc");
    });

    it("joins again after a background join that ended in error, and says why it failed", () => {
        const box = swarmBox({ joinTimeouts: 1, joinErrors: 1, pendingPolls: 2 });
        const result = box.run(SWARM_SCRIPTS.join, { ...env, JOIN_TOKEN: TOKENS.manager, ROLE: "manager" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "curl /swarm/join")).toHaveLength(2);
        expect(calledWith(result.calls, "docker swarm leave --force")).toHaveLength(1);
        expect(result.stderr).toContain("the join ended in error: context deadline exceeded; joining again");
        expect(box.state()).toMatchObject({ swarm: "active", manager: true });
    });

    it("gives up on a join still pending after JOIN_PENDING_TIMEOUT, without leaving it", () => {
        const box = swarmBox({ joinTimeouts: 1, pendingPolls: 1_000_000 });
        const result = box.run(SWARM_SCRIPTS.join, { ...env, JOIN_PENDING_TIMEOUT: "0", JOIN_ATTEMPTS: "2" });
        expect(result.code).not.toBe(0);
        expect(calledWith(result.calls, "docker swarm leave")).toEqual([]);
        expect(result.stderr).toContain("waiting for the join in progress");
    });

    it("gives up after JOIN_ATTEMPTS and says so", () => {
        const box = swarmBox({ joinFailures: 10 });
        const result = box.run(SWARM_SCRIPTS.join, { ...env, JOIN_ATTEMPTS: "3" });
        expect(result.code).not.toBe(0);
        expect(calledWith(result.calls, "curl /swarm/join")).toHaveLength(3);
        expect(result.stderr).toContain("could not join 10.42.1.10:2377 after 3 attempts");
    });

    it("sets a joining manager's availability from DRAIN", () => {
        const box = swarmBox();
        const result = box.run(SWARM_SCRIPTS.join, { ...env, JOIN_TOKEN: TOKENS.manager, ROLE: "manager", DRAIN: "true" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "docker node update")).toEqual(["docker node update --availability drain node-abc"]);
    });
});

describe("swarm-node-ready.sh", () => {
    it("waits for a worker to be Ready, and for a manager to be a reachable Raft member too", () => {
        const box = swarmBox({
            nodes: {
                "node-w1": { role: "worker", state: "ready" },
                "node-m2": { role: "manager", state: "ready", reachability: "unreachable" },
            },
        });
        expect(box.run(SWARM_SCRIPTS.nodeReady, { NODE_ID: "node-w1" }).code).toBe(0);
        const unreachable = box.run(SWARM_SCRIPTS.nodeReady, { NODE_ID: "node-m2", NODE_READY_TIMEOUT: "0" });
        expect(unreachable.code).not.toBe(0);
        expect(unreachable.stderr).toContain("waiting for node node-m2 to be Ready");
        box.setState({ nodes: { "node-m2": { role: "manager", state: "ready", reachability: "reachable" } } });
        expect(box.run(SWARM_SCRIPTS.nodeReady, { NODE_ID: "node-m2" }).code).toBe(0);
        box.setState({ nodes: { "node-w1": { role: "worker", state: "down" } } });
        expect(box.run(SWARM_SCRIPTS.nodeReady, { NODE_ID: "node-w1", NODE_READY_TIMEOUT: "0" }).code).not.toBe(0);
    });
});

describe("delete hooks", () => {
    it("swarm-remove-node.sh drains, waits for tasks, demotes a manager, then removes it", () => {
        const box = swarmBox({ nodes: { "node-m2": { role: "manager", state: "ready" } }, tasksLeft: 2 });
        const result = box.run(SWARM_SCRIPTS.removeNode, { NODE_ID: "node-m2" });
        expect(result.code).toBe(0);
        expect(result.calls.filter((c) => !c.startsWith("docker node inspect") && !c.startsWith("sleep"))).toEqual([
            "docker node ps --quiet --filter desired-state=running node-m2",
            "docker inspect --type task --format {{.ServiceID}} task1",
            "docker service inspect --format {{.ID}} {{.Spec.Name}} {{with .Spec.Mode.Replicated}}{{.Replicas}}{{end}} service-of-task1",
            "docker node update --availability drain node-m2",
            "docker node ps --quiet --filter desired-state=running node-m2",
            "docker node ps --quiet --filter desired-state=running node-m2",
            "docker node demote node-m2",
            "docker node rm --force node-m2",
        ]);
    });

    it("swarm-remove-node.sh removes a node only once the replicated services it ran have all their replicas again", () => {
        // Tasks meant to run (the drained node's, still running, are not): the new ones start, then run.
        const servicePs = [
            "Preparing 2 seconds ago\nStarting 1 second ago",
            "Running 1 second ago\nStarting 3 seconds ago",
            "Running 2 seconds ago\nRunning 1 second ago",
        ];
        const services = { "service-of-task1": { name: "web", replicas: 2 } };
        const box = swarmBox({ nodes: { "node-w1": { role: "worker", state: "ready" } }, tasksLeft: 1, services, servicePs });
        const result = box.run(SWARM_SCRIPTS.removeNode, { NODE_ID: "node-w1" });
        expect(result.code).toBe(0);
        const polls = calledWith(result.calls, "docker service ps");
        expect(polls).toEqual(
            Array(3).fill("docker service ps --filter desired-state=running --format {{.CurrentState}} service-of-task1"),
        );
        expect(result.calls.lastIndexOf(polls[2])).toBeLessThan(result.calls.indexOf("docker node rm --force node-w1"));
        expect(result.stderr).not.toContain("removing it anyway");
    });

    it("swarm-remove-node.sh waits for no global service: its tasks stay with their nodes", () => {
        const services = { "service-of-task1": { name: "web-global" } };
        const box = swarmBox({ nodes: { "node-w1": { role: "worker", state: "ready" } }, tasksLeft: 1, services, servicePs: [""] });
        const result = box.run(SWARM_SCRIPTS.removeNode, { NODE_ID: "node-w1", DRAIN_TIMEOUT: "1" });
        expect(result.code).toBe(0);
        expect(calledWith(result.calls, "docker service ps")).toEqual([]);
        expect(result.stderr).not.toContain("removing it anyway");
    });

    it("swarm-remove-node.sh goes on after DRAIN_TIMEOUT, naming the services still short of replicas", () => {
        const services = { "service-of-task1": { name: "web", replicas: 2 } };
        const box = swarmBox({
            nodes: { "node-w1": { role: "worker", state: "ready" } },
            tasksLeft: 1,
            services,
            servicePs: ["Running 1 second ago\nStarting 9 seconds ago"],
        });
        const result = box.run(SWARM_SCRIPTS.removeNode, { NODE_ID: "node-w1", DRAIN_TIMEOUT: "1" });
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("gave up after 1s waiting for the tasks of node node-w1 to run elsewhere");
        expect(result.stderr).toContain("services short of replicas: web 1/2");
        expect(calledWith(result.calls, "docker node rm")).toEqual(["docker node rm --force node-w1"]);
    });

    it("swarm-remove-node.sh is a no-op for a node already gone, and skips the demotion of a worker", () => {
        const box = swarmBox({ nodes: {} });
        const remove = box.run(SWARM_SCRIPTS.removeNode, { NODE_ID: "node-gone" });
        expect(remove.code).toBe(0);
        expect(calledWith(remove.calls, "docker node rm")).toEqual([]);
        box.setState({ nodes: { "node-w1": { role: "worker", state: "down" } } });
        const worker = box.run(SWARM_SCRIPTS.removeNode, { NODE_ID: "node-w1" });
        expect(calledWith(worker.calls, "docker node demote")).toEqual([]);
        expect(calledWith(worker.calls, "docker node rm")).toEqual(["docker node rm --force node-w1"]);
    });
});

describe("deploy-stack.sh", () => {
    const compose = 'version: "3.8"\nservices:\n  web:\n    image: nginx:1.27\n';

    it("writes the compose file, deploys without registry lookups, and waits until services converge", () => {
        const box = swarmBox({ convergeAfter: 3 });
        const env = { STACK_NAME: "lab", STACK_COMPOSE: compose, EXPECTED_NODES: "1", LAB_DIR: box.dir };
        const result = box.run(SWARM_SCRIPTS.deployStack, env);
        expect(result.code).toBe(0);
        expect(readFileSync(path.join(box.dir, "lab.yml"), "utf8")).toBe(compose + "\n");
        expect(calledWith(result.calls, "docker stack deploy")).toEqual([
            `docker stack deploy --prune --resolve-image never --compose-file ${box.dir}/lab.yml lab`,
        ]);
        const polls = calledWith(result.calls, "docker stack services lab --format");
        expect(polls.length).toBeGreaterThanOrEqual(3);
        // One inspect of every service, once their replicas are all there: not one call a service a poll.
        expect(calledWith(result.calls, "docker service inspect")).toEqual([
            "docker service inspect --format {{.Spec.Name}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}} lab_web lab_web-global",
        ]);
        expect(calledWith(result.calls, "sleep").slice(-1)).toEqual(["sleep 5"]);
    });

    it("fails naming the service when an update was rolled back, and when nodes are missing", () => {
        const box = swarmBox({ updateState: "rollback_completed" });
        const env = { STACK_NAME: "lab", STACK_COMPOSE: compose, EXPECTED_NODES: "1", LAB_DIR: box.dir };
        const rolledBack = box.run(SWARM_SCRIPTS.deployStack, env);
        expect(rolledBack.code).not.toBe(0);
        expect(rolledBack.stderr).toContain("update of lab_web failed and was rolled back (rollback_completed)");

        const short = swarmBox({ nodeStatus: ["Ready", "Down"] }).run(SWARM_SCRIPTS.deployStack, {
            ...env,
            EXPECTED_NODES: "2",
            CONVERGE_TIMEOUT: "1",
        });
        expect(short.code).not.toBe(0);
        expect(short.stderr).toContain("fewer than 2 nodes are Ready");
    });
});

describe("install-docker.sh", () => {
    it("installs docker.io only when docker is missing, and always enables the service", () => {
        const present = swarmBox().run(SWARM_SCRIPTS.installDocker);
        expect(calledWith(present.calls, "apt-get")).toEqual([]);
        expect(calledWith(present.calls, "systemctl")).toEqual(["systemctl enable --now docker"]);

        const box = swarmBox();
        box.remove("docker");
        const missing = box.run(SWARM_SCRIPTS.installDocker);
        expect(missing.code).toBe(0);
        expect(calledWith(missing.calls, "apt-get")).toEqual([
            "apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -q update",
            "apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -q install -y --no-install-recommends docker.io apparmor",
        ]);
    });

    it("lets the login user run docker without sudo", () => {
        // root stands in for the image's login user (admin, ubuntu): `id` must find the user.
        expect(calledWith(swarmBox().run(SWARM_SCRIPTS.installDocker, { LOGIN_USER: "root" }).calls, "usermod")).toEqual([
            "usermod -aG docker root",
        ]);
        expect(calledWith(swarmBox().run(SWARM_SCRIPTS.installDocker, { LOGIN_USER: "no-such-user-here" }).calls, "usermod")).toEqual([]);
    });

    it("waits for a held dpkg lock and retries a failing mirror a bounded number of times", () => {
        const box = swarmBox();
        box.remove("docker");
        const flaky = box.run(SWARM_SCRIPTS.installDocker, { STUB_EXIT_apt_get: "100", APT_ATTEMPTS: "3" });
        expect(flaky.code).not.toBe(0);
        expect(calledWith(flaky.calls, "apt-get")).toHaveLength(3);
        expect(calledWith(flaky.calls, "sleep")).toEqual(["sleep 10", "sleep 20"]);
        expect(flaky.stderr).toContain("apt_get update failed 3 times");
        expect(calledWith(flaky.calls, "systemctl")).toEqual([]);
    });
});
