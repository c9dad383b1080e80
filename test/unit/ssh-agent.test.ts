// SSH_AUTH_SOCK where no agent answers: pulumi-command 1.2.1 dials it before every SSH connection
// (remote/connection.go, SSHConfig: dialAgent, no fallback to the key), so the program names it first.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { agentAnswers, operatorNetwork } from "../../components/operator-network";
import { agentProblem, checkSshAgent } from "../../components/ssh-agent";

const dir = mkdtempSync(path.join(tmpdir(), "cluster-lab-agent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the operator's ssh-agent", () => {
    it("answers on a live socket; a missing one, or a socket file nothing listens on, does not", async () => {
        const live = path.join(dir, "live.sock");
        const server = createServer((socket) => socket.end());
        await new Promise<void>((resolve) => server.listen(live, resolve));
        try {
            expect(await agentAnswers(live)).toBe(true);
        } finally {
            await new Promise((resolve) => server.close(resolve));
        }
        expect(await agentAnswers(path.join(dir, "gone.sock"))).toBe("ENOENT");
        // A forwarded agent whose session ended leaves its socket file behind (here: a regular file).
        const { writeFileSync } = await import("node:fs");
        writeFileSync(path.join(dir, "stale.sock"), "");
        expect(await agentAnswers(path.join(dir, "stale.sock"))).toMatch(/^E(CONNREFUSED|NOTSOCK)$/);
    });

    it("fails the run before any step, naming the socket and how to go on, only when an agent is set and dead", async () => {
        expect(agentProblem(undefined, "ENOENT", false)).toBeUndefined();
        expect(agentProblem("/tmp/live", true, false)).toBeUndefined();
        expect(agentProblem("/tmp/ssh-x/agent.1", "ENOENT", false)).toBe(
            "SSH_AUTH_SOCK is /tmp/ssh-x/agent.1, where no ssh-agent answers (ENOENT): the command provider dials it before every SSH " +
                "connection, even with the lab's own key, and every node step would fail. Unset it for this run (env -u SSH_AUTH_SOCK pulumi up; " +
                "scripts/operator/lab.sh does so itself) or start an agent (eval $(ssh-agent)).",
        );
        expect(agentProblem("/tmp/ssh-x/agent.1", "ENOENT", true)).toContain("Start the agent that holds the key of lab:sshPublicKey");
        // The unit tests' mocks fake the agent (test/harness.ts); here the real probe runs.
        const faked = operatorNetwork.agentAnswers;
        operatorNetwork.agentAnswers = agentAnswers;
        try {
            const failed = await checkSshAgent(false, { SSH_AUTH_SOCK: path.join(dir, "gone.sock") }).catch((err: Error) => err);
            expect(failed).toBeInstanceOf(pulumi.RunError);
            expect((failed as Error).message).toContain("gone.sock, where no ssh-agent answers (ENOENT)");
            expect(await checkSshAgent(false, {})).toBeUndefined();
        } finally {
            operatorNetwork.agentAnswers = faked;
        }
    });
});
