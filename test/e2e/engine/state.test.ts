// The saved state has the shape of `pulumi stack export --show-secrets` (apitype.DeploymentV3).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadResources, readCheckpoint, secret, SECRET_SIG, SIG_KEY, stackUrn, storeSecrets, unwrap, writeCheckpoint } from "./state";

describe("checkpoint", () => {
    it("stores secrets as --show-secrets prints them: the JSON-encoded value as plaintext", () => {
        expect(storeSecrets({ a: secret("k"), b: [secret({ x: 1 })], c: "plain" })).toEqual({
            a: { [SIG_KEY]: SECRET_SIG, plaintext: '"k"' },
            b: [{ [SIG_KEY]: SECRET_SIG, plaintext: '{"x":1}' }],
            c: "plain",
        });
    });

    it("writes version 3 with a deployment, and reads back the same resources", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "state-")), "checkpoint.json");
        const resource = {
            urn: "urn:pulumi:dev::cluster-lab::tls:index/privateKey:PrivateKey::lab-ssh",
            custom: true,
            id: "x",
            type: "tls:index/privateKey:PrivateKey",
            inputs: { algorithm: "ED25519" },
            outputs: { privateKeyOpenssh: secret("-----BEGIN") },
            parent: stackUrn("cluster-lab", "dev"),
            dependencies: [],
        };
        writeCheckpoint(file, [resource]);
        const raw = JSON.parse(fs.readFileSync(file, "utf8"));
        expect(raw.version).toBe(3);
        expect(raw.deployment.resources[0].outputs.privateKeyOpenssh).toEqual({ [SIG_KEY]: SECRET_SIG, plaintext: '"-----BEGIN"' });
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(loadResources(readCheckpoint(file))).toEqual([resource]);
        expect(unwrap(loadResources(readCheckpoint(file))[0].outputs)).toEqual({ privateKeyOpenssh: "-----BEGIN" });
    });

    it("names the stack resource as the CLI does", () => {
        expect(stackUrn("cluster-lab", "dev")).toBe("urn:pulumi:dev::cluster-lab::pulumi:pulumi:Stack::cluster-lab-dev");
    });
});
