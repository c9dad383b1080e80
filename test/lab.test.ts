// The Swarm lab's resource graph under Pulumi mocks: counts and names, dependency order,
// security groups, secrets, config validation and the script each node receives.
import { describe, expect, it } from "vitest";
import { LabConfigError, parseLabConfig, resolveAllowedCidr } from "../components/config";
import { FAKE_TOKENS, isSecretValue, LabRun, plainSecrets, Registered, runLab } from "./harness";

const COMMAND = "command:remote:Command";
const INSTANCE = "aws:ec2/instance:Instance";

const names = (run: LabRun, type: string) => run.ofType(type).map((r) => r.name).sort();

describe("resource graph", () => {
    it.each([
        [1, 0],
        [1, 2],
        [3, 5],
    ])("%i manager(s) + %i worker(s): one instance, gate and hosts per node, a join and membership per extra node", async (managers, workers) => {
        const run = await runLab({ managers: String(managers), workers: String(workers) });
        const expected = [
            ...Array.from({ length: managers }, (_, i) => `swarm-manager${i + 1}`),
            ...Array.from({ length: workers }, (_, i) => `swarm-worker${i + 1}`),
        ];
        expect(names(run, INSTANCE)).toEqual([...expected].sort());
        const commands = names(run, COMMAND);
        const joined = expected.slice(1);
        expect(commands).toEqual([
            ...expected.map((n) => `${n}-gate`),
            ...expected.map((n) => `${n}-hosts`),
            ...joined.map((n) => `${n}-join`),
            ...joined.map((n) => `${n}-membership`),
            "swarm-init",
            "stack-deploy",
        ].sort());
        expect(run.outputs.nodes.value.map((n: { name: string; role: string }) => `${n.name}:${n.role}`))
            .toEqual(expected.map((n) => `${n}:${n.includes("manager") ? "manager" : "worker"}`));
        expect(run.outputs.nginxUrls.value).toHaveLength(managers + workers);
        expect(run.ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
        expect(run.ofType("aws:ec2/securityGroup:SecurityGroup")).toHaveLength(1);
    });

    it("orders the critical path gate -> hosts -> init -> joins -> deploy, with joins independent of each other", async () => {
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
            for (const other of others.filter((o) => o !== node)) {
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

    it("builds instances with IMDSv2, encrypted gp3, lab tags and spot only when asked", async () => {
        const onDemand = await runLab({ ttlHours: "4" });
        const spot = await runLab({ spot: "true", ttlHours: "0" });
        for (const instance of onDemand.ofType(INSTANCE)) {
            expect(instance.inputs.metadataOptions.httpTokens).toBe("required");
            expect(instance.inputs.rootBlockDevice).toMatchObject({ volumeType: "gp3", encrypted: true, deleteOnTermination: true });
            expect(instance.inputs.tags).toMatchObject({ Lab: "dev", ExpiresAt: "2026-11-22T12:00:00Z" });
            expect(instance.inputs.tags.Role).toBe(instance.name.includes("manager") ? "manager" : "worker");
            expect(instance.inputs.instanceMarketOptions).toBeUndefined();
            expect(instance.inputs.userData).toMatch(/^#cloud-config\n/);
            expect(instance.inputs.userData).toContain(`hostname: ${instance.name}`);
            expect(instance.inputs.userData).toContain("apt-get -o Acquire::Retries=5 install -y -q --no-install-recommends docker.io");
        }
        expect(onDemand.outputs.expiresAt.value).toBe("2026-11-22T12:00:00Z");
        expect(onDemand.byName("expiry").inputs.offsetHours).toBe(4);
        for (const instance of spot.ofType(INSTANCE)) {
            expect(instance.inputs.instanceMarketOptions.marketType).toBe("spot");
            expect(instance.inputs.tags.ExpiresAt).toBe("never");
        }
        expect(spot.outputs.expiresAt.value).toBeUndefined();
        expect(spot.resources.some((r) => r.name === "expiry")).toBe(false);
    });

    it("looks the AMI up for the OS and uses the image's login user", async () => {
        const ubuntu = await runLab({ os: "ubuntu-24.04" });
        expect(ubuntu.outputs.sshCommands.value[0]).toMatch(/^ssh -i dev\.pem ubuntu@203\.0\.113\.\d+$/);
        const gate = ubuntu.byName("swarm-manager1-gate");
        expect(gate.inputs.connection.user).toBe("ubuntu");
        const debian = await runLab();
        expect(debian.byName("swarm-manager1-gate").inputs.connection.user).toBe("admin");
    });
});

describe("security groups", () => {
    it("opens SSH and the published ports to allowedCidr only, and Swarm ports between nodes only", async () => {
        const run = await runLab({ allowedCidr: "203.0.113.7/32", publishedPort: "8080", globalPublishedPort: "9090" });
        const [group] = run.ofType("aws:ec2/securityGroup:SecurityGroup");
        const table = group.inputs.ingress
            .map((r: any) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.self ? "nodes" : r.cidrBlocks.join(",")}`)
            .sort();
        expect(table).toEqual([
            "50 0-0 nodes",
            "tcp 22-22 203.0.113.7/32",
            "tcp 2377-2377 nodes",
            "tcp 7946-7946 nodes",
            "tcp 8080-8080 203.0.113.7/32",
            "tcp 9090-9090 203.0.113.7/32",
            "udp 4789-4789 nodes",
            "udp 7946-7946 nodes",
        ]);
        for (const rule of group.inputs.ingress) {
            expect(rule.cidrBlocks ?? []).not.toContain("0.0.0.0/0");
        }
    });
});

describe("secrets", () => {
    it("keeps join tokens and the private key inside secrets in every input and output", async () => {
        const run = await runLab({ managers: "3", workers: "2" });
        const leaks = run.resources.flatMap((r: Registered) => plainSecrets(r.rawInputs, `${r.name}.inputs`));
        expect(leaks).toEqual([]);
        for (const [key, output] of Object.entries(run.outputs)) {
            if (!output.secret) expect(plainSecrets(output.value, key)).toEqual([]);
        }
        expect(run.outputs.privateKey.secret).toBe(true);

        // The scanner does see the tokens: they reach the joins, as secrets.
        const joinInputs = JSON.stringify(run.byName("swarm-worker1-join").rawInputs);
        expect(joinInputs).toContain(FAKE_TOKENS.worker);
        expect(JSON.stringify(run.byName("swarm-manager2-join").rawInputs)).toContain(FAKE_TOKENS.manager);
        expect(isSecretValue(run.byName("swarm-worker1-join").rawInputs.stdin)).toBe(true);
        expect(JSON.stringify(run.byName("swarm-worker1-gate").rawInputs.connection)).toContain("BEGIN OPENSSH PRIVATE KEY");
    });

    it("flags a token that reaches an input unsecret (the scanner can fail)", () => {
        expect(plainSecrets({ create: `docker swarm join --token ${FAKE_TOKENS.worker}` }, "x")).toEqual(["x.create"]);
        expect(plainSecrets({ key: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc" }, "x")).toEqual(["x.key"]);
    });

    it("never puts a secret on a command line, and hides the stdout of the token step from logs", async () => {
        const run = await runLab({ workers: "2" });
        for (const command of run.ofType(COMMAND)) {
            expect(isSecretValue(command.rawInputs.create)).toBe(false);
            expect(command.inputs.create).toMatch(/^sudo -n env LAB_NODE=[a-z0-9-]+ LAB_STEP=[a-z0-9-]+ bash -c "\$\(cat\)"$/);
            expect(command.inputs.addPreviousOutputInEnv).toBe(false);
        }
        expect(run.byName("swarm-init").inputs.logging).toBe("stderr");
        expect(run.byName("swarm-worker1-join").inputs.logging).toBe("stdoutAndStderr");
    });

    it("without a generated key, connects through ssh-agent and exports no private key", async () => {
        const before = process.env.SSH_AUTH_SOCK;
        process.env.SSH_AUTH_SOCK = "/tmp/agent.sock";
        try {
            const run = await runLab({ sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKey me@laptop" });
            expect(run.ofType("tls:index/privateKey:PrivateKey")).toHaveLength(0);
            expect(run.outputs.privateKey.value).toBeUndefined();
            expect(run.byName("lab-key").inputs.publicKey).toContain("OperatorKey");
            expect(run.byName("swarm-manager1-gate").inputs.connection.privateKey).toBeUndefined();
            expect(run.outputs.sshCommands.value[0]).toMatch(/^ssh admin@/);
        } finally {
            if (before === undefined) delete process.env.SSH_AUTH_SOCK; else process.env.SSH_AUTH_SOCK = before;
        }
    });
});

describe("commands each node receives", () => {
    const stdinOf = (run: LabRun, name: string) => String(run.byName(name).inputs.stdin);

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

    it("gives each membership a drain-and-remove hook for the node's ID, run on the first manager", async () => {
        const run = await runLab({ workers: "1" });
        const join = run.byName("swarm-worker1-join");
        const membership = run.byName("swarm-worker1-membership");
        expect(join.inputs.delete).toBeUndefined();
        expect(membership.inputs.delete).toMatch(/export NODE_ID='\\''node-id-swarm-worker1-join'\\''/);
        expect(membership.inputs.delete).toContain("docker node rm --force");
        expect(membership.inputs.delete).toContain("LAB_NODE=swarm-manager1 LAB_STEP=membership-of-swarm-worker1-delete");
        expect(membership.inputs.connection.host).toBe(run.byName("swarm-manager1").state.publicIp);
        // Replacing a step with a delete hook would run the hook: only hook-less steps carry the script hash trigger.
        expect(membership.inputs.triggers).toBeUndefined();
        expect(join.inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
        expect(run.byName("swarm-init").inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
        expect(run.byName("swarm-init").inputs.delete).toBeUndefined();
    });

    it("gives the gate enough dial retries to outlast a boot", async () => {
        const run = await runLab();
        expect(run.byName("swarm-manager1-gate").inputs.connection.dialErrorLimit).toBeGreaterThanOrEqual(60);
        expect(run.byName("swarm-init").inputs.connection.dialErrorLimit).toBe(10);
    });

    it("deploys a compose file generated from config", async () => {
        const { parse } = await import("yaml");
        const withWorkers = await runLab({ workers: "2", nginxReplicas: "4", nginxImage: "nginx:1.27.3", publishedPort: "8081" });
        const composeOf = (run: LabRun) => {
            const m = /export STACK_COMPOSE='([^']*)'/.exec(stdinOf(run, "stack-deploy"));
            return parse(m![1]);
        };
        const compose = composeOf(withWorkers);
        expect(compose.services.web).toMatchObject({
            image: "nginx:1.27.3",
            ports: [{ target: 80, published: 8081, protocol: "tcp", mode: "ingress" }],
            deploy: {
                mode: "replicated", replicas: 4, placement: { constraints: ["node.role == worker"] },
                update_config: { parallelism: 1, order: "start-first", failure_action: "rollback" },
                rollback_config: { parallelism: 1 },
            },
        });
        expect(compose.services["web-global"].deploy.mode).toBe("global");
        expect(compose.services["web-global"].ports[0].published).toBe(8002);
        expect(compose.networks.web.driver).toBe("overlay");
        expect(stdinOf(withWorkers, "stack-deploy")).toContain("export EXPECTED_NODES='3'");

        const alone = composeOf(await runLab({ workers: "0" }));
        expect(alone.services.web.deploy.placement).toBeUndefined();
    });
});

describe("config validation", () => {
    const raw = (values: Record<string, string>) => (key: string) => values[key];
    const errorOf = (values: Record<string, string>, region: string | undefined = "ap-northeast-2") => {
        try {
            parseLabConfig(raw(values), "dev", region);
        } catch (err) {
            expect(err).toBeInstanceOf(LabConfigError);
            return (err as Error).message;
        }
        throw new Error("expected a LabConfigError");
    };

    it("has the documented defaults", () => {
        expect(parseLabConfig(raw({}), "dev", "ap-northeast-2")).toMatchObject({
            orchestrator: "swarm", managers: 1, workers: 2, instanceType: "t3.small", os: "debian-12",
            allowedCidr: "auto", nginxImage: "nginx:1.27", nginxReplicas: 3, publishedPort: 8001,
            globalPublishedPort: 8002, drainManagers: false, spot: false, ttlHours: 8, region: "ap-northeast-2",
        });
    });

    it.each([
        [{ managers: "2" }, 'lab:managers is "2": must be odd'],
        [{ managers: "0" }, 'lab:managers is "0": must be a whole number from 1 to 7'],
        [{ managers: "three" }, 'lab:managers is "three": must be a whole number from 1 to 7'],
        [{ workers: "-1" }, 'lab:workers is "-1": must be a whole number from 0 to 50'],
        [{ workers: "1.5" }, 'lab:workers is "1.5": must be a whole number'],
        [{ orchestrator: "nomad" }, 'lab:orchestrator is "nomad": must be one of swarm, kubernetes'],
        [{ os: "centos-7" }, 'lab:os is "centos-7": must be one of debian-12, ubuntu-24.04'],
        [{ instanceType: "small" }, 'lab:instanceType is "small": must be an EC2 instance type'],
        [{ allowedCidr: "10.0.0.0/33" }, 'lab:allowedCidr is "10.0.0.0/33": must be an IPv4 CIDR'],
        [{ allowedCidr: "10.0.0.1/24" }, 'lab:allowedCidr is "10.0.0.1/24": must be an IPv4 CIDR'],
        [{ allowedCidr: "300.1.1.1/32" }, 'lab:allowedCidr is "300.1.1.1/32"'],
        [{ sshPublicKey: "not a key" }, 'lab:sshPublicKey is "not a key": must be one OpenSSH public key line'],
        [{ nginxImage: "Nginx Latest" }, 'lab:nginxImage is "Nginx Latest": must be an image reference'],
        [{ nginxReplicas: "0" }, 'lab:nginxReplicas is "0": must be a whole number from 1 to 100'],
        [{ publishedPort: "70000" }, 'lab:publishedPort is "70000": must be a whole number from 1 to 65535'],
        [{ publishedPort: "2377" }, 'lab:publishedPort is "2377": is reserved for Swarm management'],
        [{ publishedPort: "22" }, 'lab:publishedPort is "22": is reserved for SSH'],
        [{ globalPublishedPort: "8001" }, 'lab:globalPublishedPort is "8001": must differ from lab:publishedPort (8001)'],
        [{ drainManagers: "yes" }, 'lab:drainManagers is "yes": must be true or false'],
        [{ drainManagers: "true", workers: "0" }, 'lab:drainManagers is "true": needs at least one worker'],
        [{ spot: "1" }, 'lab:spot is "1": must be true or false'],
        [{ ttlHours: "1000" }, 'lab:ttlHours is "1000": must be a whole number from 0 to 720'],
    ])("rejects %j", (values, message) => {
        expect(errorOf(values)).toContain(message);
    });

    it("names the region and lists every problem at once", () => {
        const message = errorOf({ managers: "4", workers: "x" }, "seoul");
        expect(message).toContain('aws:region is "seoul": must be an AWS region');
        expect(message).toContain('lab:managers is "4"');
        expect(message).toContain('lab:workers is "x"');
        expect(errorOf({}, "")).toContain('aws:region is ""');
    });

    it("needs ssh-agent when the operator brings a public key", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKey me@laptop";
        expect(errorOf({ sshPublicKey: key })).toContain("SSH_AUTH_SOCK is not set");
        expect(parseLabConfig(raw({ sshPublicKey: key }), "dev", "eu-west-1", "/tmp/agent").sshPublicKey).toBe(key);
    });

    it("resolves allowedCidr auto to the caller's /32, and fails clearly when the lookup does", async () => {
        const config = parseLabConfig(raw({}), "dev", "ap-northeast-2");
        expect((await resolveAllowedCidr(config, async () => "198.51.100.23\n".trim())).allowedCidr).toBe("198.51.100.23/32");
        await expect(resolveAllowedCidr(config, async () => { throw new Error("getaddrinfo ENOTFOUND"); }))
            .rejects.toThrow(/lab:allowedCidr is "auto" but your public address could not be looked up \(getaddrinfo ENOTFOUND\)/);
        await expect(resolveAllowedCidr(config, async () => "<html>"))
            .rejects.toThrow(/answered "<html>", not an IPv4 address/);
        const fixed = parseLabConfig(raw({ allowedCidr: "192.0.2.0/24" }), "dev", "ap-northeast-2");
        expect((await resolveAllowedCidr(fixed, async () => { throw new Error("must not be called"); })).allowedCidr).toBe("192.0.2.0/24");
    });

    it("fails the program before any resource is registered", async () => {
        await expect(runLab({ managers: "2" })).rejects.toThrow(/lab:managers is "2"/);
        const { recorder } = await import("./harness.js");
        expect(recorder.resources).toEqual([]);
    });
});
