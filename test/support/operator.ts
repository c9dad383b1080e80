// A scratch copy of the project for the operator scripts, with the fake Pulumi CLI and logging
// stubs (ssh, ...) on PATH.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { STUBS } from "./sandbox";

const ROOT = path.join(__dirname, "..", "..");

export const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
/** The generated key as `pulumi stack export --show-secrets` shows it: a secret with its plaintext JSON-encoded. */
export const KEY_RESOURCE = {
    urn: "urn:pulumi:dev::cluster-lab::cluster-lab:nodes:LabNodes$tls:index/privateKey:PrivateKey::lab-ssh",
    type: "tls:index/privateKey:PrivateKey",
    outputs: {
        privateKeyOpenssh: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(KEY) },
    },
};

/** A copy of the project's scripts/ in a scratch directory (lab.sh writes <stack>.pem beside them). */
export function project(withPulumi = true, logged: string[] = ["ssh"]) {
    const dir = mkdtempSync(path.join(tmpdir(), "lab-sh-"));
    cpSync(path.join(ROOT, "scripts"), path.join(dir, "scripts"), { recursive: true });
    const bin = path.join(dir, "bin");
    mkdirSync(bin);
    if (withPulumi) symlinkSync(path.join(STUBS, "pulumi"), path.join(bin, "pulumi"));
    for (const name of logged) symlinkSync(path.join(STUBS, "stub-logger"), path.join(bin, name));
    // The project's own node_modules (tsx, yaml), as after npm ci.
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const state = path.join(dir, "pulumi-state.json");
    const log = path.join(dir, "pulumi.log");
    const run = (args: string[], env: Record<string, string> = {}) => {
        writeFileSync(log, "");
        const result = spawnSync("bash", [path.join(dir, "scripts", "operator", "lab.sh"), ...args], {
            env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, STUB_STATE: state, STUB_LOG: log, ...env },
            encoding: "utf8",
            input: "",
        });
        return {
            code: result.status,
            stdout: result.stdout,
            stderr: result.stderr,
            calls: readFileSync(log, "utf8").split("\n").filter(Boolean),
        };
    };
    const login = (url: string) => writeFileSync(state, JSON.stringify({ current: url, stacks: {} }));
    return { dir, run, login };
}
