// The fake pulumi CLI serves an e2e lab's state as the real CLI prints a stack's:
// `pulumi stack export` shows secrets as ciphertext, `--show-secrets` as plaintext; `pulumi stack
// output` shows "[secret]" unless --show-secrets, strings raw, other values as JSON, --json as JSON.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { secret, SECRET_SIG, SIG_KEY, stackUrn, writeCheckpoint } from "./engine/state";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
const checkpoint = path.join(dir, "checkpoint.json");
writeCheckpoint(checkpoint, [
    {
        urn: stackUrn("cluster-lab", "dev"),
        custom: false,
        type: "pulumi:pulumi:Stack",
        inputs: {},
        dependencies: [],
        outputs: {
            privateKey: secret("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"),
            nginxUrls: ["http://10.42.1.11:8001"],
            expiresAt: "2026-11-23T20:00:00Z",
        },
    },
    {
        urn: "urn:pulumi:dev::cluster-lab::tls:index/privateKey:PrivateKey::lab-ssh",
        custom: true,
        id: "k",
        type: "tls:index/privateKey:PrivateKey",
        inputs: { algorithm: "ED25519" },
        outputs: { privateKeyOpenssh: secret("KEY") },
        dependencies: [],
    },
]);
const pulumi = (...args: string[]) =>
    execFileSync(path.join(__dirname, "fake-pulumi"), args, {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, E2E_CHECKPOINT: checkpoint },
    });

describe("fake pulumi", () => {
    it("stack export: ciphertext without --show-secrets, plaintext with it", () => {
        const hidden = JSON.parse(pulumi("stack", "export"));
        expect(hidden.deployment.resources[1].outputs.privateKeyOpenssh[SIG_KEY]).toBe(SECRET_SIG);
        expect(JSON.stringify(hidden)).not.toContain('KEY"');
        const shown = JSON.parse(pulumi("stack", "export", "--show-secrets"));
        expect(shown.deployment.resources[1].outputs.privateKeyOpenssh).toEqual({ [SIG_KEY]: SECRET_SIG, plaintext: '"KEY"' });
    });

    it("stack output: one value raw or as JSON, secrets hidden unless asked", () => {
        expect(pulumi("stack", "output", "expiresAt")).toBe("2026-11-23T20:00:00Z\n");
        expect(pulumi("stack", "output", "privateKey")).toBe("[secret]\n");
        expect(pulumi("stack", "output", "privateKey", "--show-secrets")).toBe("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n\n");
        expect(JSON.parse(pulumi("stack", "output", "nginxUrls", "--json"))).toEqual(["http://10.42.1.11:8001"]);
        expect(JSON.parse(pulumi("stack", "output", "--json"))).toMatchObject({
            privateKey: "[secret]",
            expiresAt: "2026-11-23T20:00:00Z",
        });
        expect(() => pulumi("stack", "output", "kubeconfig")).toThrow(/does not have output property 'kubeconfig'/);
    });
});
