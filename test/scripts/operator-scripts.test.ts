// The operator's scripts: scripts/operator/lab.sh against the fake Pulumi CLI (test/stubs/pulumi),
// and scripts/operator/smoke.sh against a real HTTP server on loopback.
import { execFile, spawnSync } from "node:child_process";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY, KEY_RESOURCE, project } from "../support/operator";

const ROOT = path.join(__dirname, "..", "..");

describe("scripts/operator/lab.sh", () => {
    it("says how to install the Pulumi CLI when it is missing", () => {
        const lab = project(false);
        const result = lab.run(["up"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("the Pulumi CLI is not installed: curl -fsSL https://get.pulumi.com | sh");
    });

    it("refuses without a passphrase when there is no terminal to ask, naming the variable, before any update", () => {
        const lab = project();
        const result = lab.run(["up"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)");
        expect(result.calls.filter((c) => c.startsWith("pulumi up"))).toEqual([]);
    });

    it("logs in to the local backend once, so later pulumi commands use it, and passes flags through", () => {
        const lab = project();
        const result = lab.run(["up", "--yes", "--skip-preview"], { PULUMI_CONFIG_PASSPHRASE: "correct horse" });
        expect(result.code).toBe(0);
        expect(result.calls).toEqual([
            "pulumi whoami --json [passphrase]",
            "pulumi login file://~ [passphrase]",
            "pulumi stack select --create dev [passphrase]",
            "pulumi up --stack dev --yes --skip-preview [passphrase]",
            "pulumi stack export --stack dev --show-secrets [passphrase]",
        ]);
        // The next run (or the user's own `pulumi stack output`) finds the same backend.
        expect(JSON.parse(readFileSync(path.join(lab.dir, "pulumi-state.json"), "utf8")).current).toBe("file://~");
        const named = lab.run(["up", "alice", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "x" });
        expect(named.calls).toContain("pulumi login file://~ [passphrase]");
        expect(named.calls).toContain("pulumi up --stack alice --yes [passphrase]");
    });

    it("unsets an SSH_AUTH_SOCK where no agent answers, saying so, and keeps a live one", () => {
        const lab = project();
        const dead = lab.run(["up", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "x", SSH_AUTH_SOCK: path.join(lab.dir, "gone.sock") });
        expect(dead.code).toBe(0);
        expect(dead.stderr).toContain(
            `SSH_AUTH_SOCK is ${path.join(lab.dir, "gone.sock")}, where no ssh-agent answers: unset for this run`,
        );
        expect(dead.calls).toContain("pulumi up --stack dev --yes [passphrase]");
        const socket = path.join(lab.dir, "agent.sock");
        const agent = spawnSync("ssh-agent", ["-a", socket], { encoding: "utf8" });
        expect(agent.status).toBe(0);
        try {
            const live = lab.run(["up", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "x", SSH_AUTH_SOCK: socket });
            expect(live.calls).toContain(`pulumi up --stack dev --yes [passphrase] [agent ${socket}]`);
            expect(live.stderr).not.toContain("no ssh-agent answers");
        } finally {
            spawnSync("ssh-agent", ["-k"], { env: { ...process.env, SSH_AGENT_PID: /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)![1] } });
        }
    });

    it("uses PULUMI_BACKEND_URL when set, and needs no passphrase for Pulumi Cloud", () => {
        const lab = project();
        expect(lab.run(["up"], { PULUMI_BACKEND_URL: "s3://acme-labs", PULUMI_CONFIG_PASSPHRASE: "x" }).calls).toContain(
            "pulumi login s3://acme-labs [passphrase]",
        );
        lab.login("https://api.pulumi.com");
        const cloud = lab.run(["up", "--yes"]);
        expect(cloud.code).toBe(0);
        expect(cloud.calls).toContain("pulumi login https://api.pulumi.com");
    });

    it("saves the key from the state even when the first up failed, and still fails", () => {
        const lab = project();
        const result = lab.run(["up", "--yes"], {
            PULUMI_CONFIG_PASSPHRASE: "x",
            FAKE_UP_EXIT: "255",
            FAKE_UP_RESOURCES: JSON.stringify([KEY_RESOURCE]),
        });
        expect(result.code).toBe(255);
        const pem = path.join(lab.dir, "dev.pem");
        expect(readFileSync(pem, "utf8")).toBe(KEY);
        expect(statSync(pem).mode & 0o777).toBe(0o600);
        expect(result.stdout).toContain("SSH key saved to dev.pem");
        expect(result.stdout + result.stderr).not.toContain("BEGIN OPENSSH");
    });

    it("writes no key file for a lab that uses the operator's own key, and removes the key on destroy", () => {
        const lab = project();
        expect(lab.run(["up", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "x" }).code).toBe(0);
        expect(existsSync(path.join(lab.dir, "dev.pem"))).toBe(false);
        lab.run(["up", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "x", FAKE_UP_RESOURCES: JSON.stringify([KEY_RESOURCE]) });
        expect(existsSync(path.join(lab.dir, "dev.pem"))).toBe(true);
        const destroyed = lab.run(["destroy", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "x" });
        expect(destroyed.code).toBe(0);
        expect(destroyed.calls).toContain("pulumi destroy --stack dev --yes [passphrase]");
        expect(existsSync(path.join(lab.dir, "dev.pem"))).toBe(false);
    });

    it("asks for the passphrase once on a terminal and uses it for every pulumi command", () => {
        const lab = project();
        // util-linux `script` gives lab.sh a terminal; what we write to it is typed at the prompt.
        const result = spawnSync("script", ["-qec", `bash ${path.join(lab.dir, "scripts", "operator", "lab.sh")} up --yes`, "/dev/null"], {
            env: {
                PATH: `${path.join(lab.dir, "bin")}:/usr/bin:/bin`,
                HOME: lab.dir,
                STUB_STATE: path.join(lab.dir, "pulumi-state.json"),
                STUB_LOG: path.join(lab.dir, "pulumi.log"),
            },
            input: "correct horse\n",
            encoding: "utf8",
            timeout: 30_000,
        });
        expect(result.status).toBe(0);
        expect(result.stdout.match(/Passphrase for the secrets of stack dev/g)).toHaveLength(1);
        const calls = readFileSync(path.join(lab.dir, "pulumi.log"), "utf8").split("\n").filter(Boolean);
        expect(
            calls.filter((c) => c.startsWith("pulumi up") || c.startsWith("pulumi stack export")).every((c) => c.endsWith("[passphrase]")),
        ).toBe(true);
    });

    it("rejects an unknown action with the usage", () => {
        const result = project().run(["launch"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("usage: scripts/operator/lab.sh up|destroy");
    });
});

describe("scripts/operator/smoke.sh", () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
        server = createServer((_req, res) => res.end("nginx"));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });
    afterAll(() => server.close());

    // Asynchronous: the server answering the requests runs in this process.
    const smoke = (args: string[]) =>
        new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
            execFile(
                "bash",
                [path.join(ROOT, "scripts", "operator", "smoke.sh"), ...args],
                {
                    env: { PATH: "/usr/bin:/bin", SMOKE_TIMEOUT: "2", SMOKE_ATTEMPTS: "1" },
                    encoding: "utf8",
                },
                (err, stdout, stderr) => resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
            );
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
