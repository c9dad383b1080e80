// One `pulumi up` (or `pulumi destroy`) of the real program against the local cloud, in a process of
// its own as the CLI would run it. Mocks stand in for the AWS API only: each EC2 instance is a local
// VM, each remote.Command runs over real SSH with the program's connection, tls keys are real keys.
// Resources that the previous run had and this one does not are deleted in reverse dependency order,
// running their delete commands, as the engine does.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installRecordingMocks, recorder, runLab, settled, unwrapSecrets } from "../harness";
import { LocalCloud } from "./local-cloud";
import { CommandRecord, DeleteRecord, EngineResource, RunResult } from "./timeline";

const cloud = new LocalCloud();
const engineDir = path.join(cloud.stateDir, "engine");
const keysFile = path.join(engineDir, "keys.json");
const resourcesFile = path.join(engineDir, "resources.json");
fs.mkdirSync(engineDir, { recursive: true });

const started = Date.now();
const commands: CommandRecord[] = [];
const instancesCreated: Record<string, number> = {};
const publicKeys = new Map<string, string>();
const deleteInfo = new Map<string, EngineResource["delete"]>();

function readJson<T>(file: string, fallback: T): T {
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) as T : fallback;
}

function keyFileFor(privateKey: string): string {
    const file = path.join(engineDir, `key-${createHash("sha256").update(privateKey).digest("hex").slice(0, 12)}`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, privateKey.endsWith("\n") ? privateKey : privateKey + "\n", { mode: 0o600 });
    return file;
}

/** A real ed25519 key per tls.PrivateKey, kept across runs as the provider keeps it in state. */
function tlsKey(name: string): Record<string, string> {
    const keys = readJson<Record<string, Record<string, string>>>(keysFile, {});
    if (!keys[name]) {
        const file = path.join(engineDir, `gen-${name}`);
        fs.rmSync(file, { force: true });
        fs.rmSync(`${file}.pub`, { force: true });
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cluster-lab-e2e", "-f", file]);
        keys[name] = { privateKeyOpenssh: fs.readFileSync(file, "utf8"), publicKeyOpenssh: fs.readFileSync(`${file}.pub`, "utf8").trim() };
        fs.writeFileSync(keysFile, JSON.stringify(keys), { mode: 0o600 });
    }
    return keys[name];
}

interface Connection { host: string; user: string; privateKey: string; dialErrorLimit?: number; perDialTimeout?: number }

function ssh(conn: Connection, command: string, stdin: string, connectTimeout: number): Promise<{ code: number; output: string; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("ssh", [
            "-i", keyFileFor(conn.privateKey), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", `ConnectTimeout=${connectTimeout}`,
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8", `${conn.user}@${conn.host}`, command,
        ], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "", stderr = "", output = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d; output += d; });
        child.stderr.on("data", (d: Buffer) => { stderr += d; output += d; });
        child.on("close", (code) => resolve({ code: code ?? 255, output, stdout, stderr }));
        child.stdin.end(stdin);
    });
}

/** Dials like the provider: up to dialErrorLimit failed dials, each bounded by perDialTimeout, with backoff. */
async function dial(conn: Connection): Promise<void> {
    const limit = conn.dialErrorLimit ?? 10;
    for (let dials = 1; ; dials++) {
        const probe = await ssh(conn, "true", "", conn.perDialTimeout ?? 15);
        if (probe.code === 0) return;
        if (limit >= 0 && dials > limit) throw new Error(`dial ${conn.user}@${conn.host} failed ${dials} times: ${probe.stderr.trim()}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 1.5 ** dials)));
    }
}

async function runCommand(name: string, urn: string | undefined, conn: Connection, command: string, stdin: string, kind: "create" | "delete") {
    const node = /LAB_NODE=(\S+)/.exec(command)?.[1] ?? "?";
    const step = /LAB_STEP=(\S+)/.exec(command)?.[1] ?? kind;
    const record: CommandRecord = { name, urn: urn ?? "", node, step, kind, start: Date.now() - started, dialed: 0, end: 0, code: 0 };
    commands.push(record);
    await dial(conn);
    record.dialed = Date.now() - started;
    const result = await ssh(conn, command, stdin, conn.perDialTimeout ?? 15);
    record.end = Date.now() - started;
    record.code = result.code;
    if (result.code !== 0) {
        // The provider's own failure text: the command line, then everything the command printed.
        throw new Error(`${name}: Process exited with status ${result.code}: running ${JSON.stringify(command)}:\n${result.output}`);
    }
    return result;
}

installRecordingMocks();
const localCloudMock = async (args: pulumi.runtime.MockResourceArgs) => {
    const inputs = unwrapSecrets(args.inputs);
    switch (args.type) {
        case "tls:index/privateKey:PrivateKey":
            return { id: args.name, state: { ...inputs, ...tlsKey(args.name) } };
        case "aws:ec2/keyPair:KeyPair": {
            const keyName = `${args.name}-e2e`;
            publicKeys.set(keyName, inputs.publicKey);
            return { id: keyName, state: { ...inputs, keyName } };
        }
        case "aws:ec2/instance:Instance": {
            const publicKey = publicKeys.get(inputs.keyName);
            if (!publicKey) throw new Error(`instance ${args.name}: unknown key pair ${inputs.keyName}`);
            instancesCreated[args.name] = Date.now() - started;
            // Like EC2: the instance is "running" at once; SSH comes later, which the program's gate must wait for.
            const vm = cloud.startVm(args.name, inputs.userData, publicKey);
            return { id: `i-${args.name}`, state: { ...inputs, privateIp: vm.ip, publicIp: vm.ip } };
        }
        case "command:remote:Command": {
            const conn = inputs.connection as Connection;
            const result = await runCommand(args.name, undefined, conn, inputs.create, inputs.stdin ?? "", "create");
            if (inputs.delete) deleteInfo.set(args.name, { command: inputs.delete, connection: conn });
            return { id: args.name, state: { ...inputs, stdout: result.stdout.replace(/\n$/, ""), stderr: result.stderr.replace(/\n$/, "") } };
        }
        default:
            return undefined;
    }
};

/** Deletes what the previous run had and this one does not: dependents first, independent ones at once. */
async function deleteRemoved(previous: EngineResource[], keep: Set<string>): Promise<{ deleted: DeleteRecord[]; failed: EngineResource[] }> {
    const pending = new Map(previous.filter((r) => !keep.has(r.urn)).map((r) => [r.urn, r]));
    const deleted: DeleteRecord[] = [];
    const failed: EngineResource[] = [];
    while (pending.size > 0) {
        const ready = [...pending.values()].filter((r) => ![...pending.values()].some((o) => o.dependencies.includes(r.urn)));
        if (ready.length === 0) throw new Error("dependency cycle among deleted resources");
        await Promise.all(ready.map(async (resource) => {
            pending.delete(resource.urn);
            try {
                if (resource.delete) {
                    await runCommand(resource.name, resource.urn, resource.delete.connection as Connection, resource.delete.command, "", "delete");
                } else if (resource.type === "aws:ec2/instance:Instance") {
                    cloud.destroyVm(resource.name);
                }
                deleted.push({ name: resource.name, type: resource.type, at: Date.now() - started });
            } catch (err) {
                failed.push(resource);
                deleted.push({ name: resource.name, type: resource.type, at: Date.now() - started, error: (err as Error).message });
            }
        }));
    }
    return { deleted, failed };
}

// A failed resource also rejects promises that nothing awaits (the SDK's own): record them, as the
// CLI reports every failed resource, instead of letting Node end the run before it is written down.
const failures: string[] = [];
process.on("unhandledRejection", (err) => {
    const message = err instanceof Error ? err.message : String(err);
    if (!failures.includes(message)) failures.push(message);
});

async function main(): Promise<RunResult> {
    const mode = process.env.E2E_MODE ?? "up";
    const previous = readJson<EngineResource[]>(resourcesFile, []);
    const result: RunResult = { ok: true, mode, outputs: {}, commands, instancesCreated, deleted: [], wallMs: 0 };
    let current: EngineResource[] = [];
    if (mode === "up") {
        try {
            const run = await runLab(JSON.parse(process.env.E2E_CONFIG ?? "{}"), localCloudMock);
            for (const [key, output] of Object.entries(run.outputs)) {
                result.outputs[key] = output.secret ? { secret: true } : { secret: false, value: output.value };
            }
        } catch (err) {
            failures.unshift((err as Error).message);
        }
        await settled();
        if (failures.length > 0) {
            result.ok = false;
            result.error = [...new Set(failures)].join("\n");
        }
        current = recorder.resources.map((r) => ({
            urn: r.urn, name: r.name, type: r.type, dependencies: r.dependencies, delete: deleteInfo.get(r.name),
        }));
        for (const command of commands) command.urn = current.find((r) => r.name === command.name)?.urn ?? command.urn;
    }
    // A failed run removes nothing: like the engine, it keeps what it could not confirm.
    const keep = new Set(result.ok ? current.map((r) => r.urn) : previous.map((r) => r.urn));
    const { deleted, failed } = await deleteRemoved(previous, keep);
    result.deleted = deleted;
    if (failed.length > 0) {
        result.ok = false;
        result.error = [result.error, ...deleted.filter((d) => d.error).map((d) => `delete ${d.name}: ${d.error}`)].filter(Boolean).join("\n");
    }
    const known = new Map([...previous.filter((r) => keep.has(r.urn) || failed.includes(r)), ...current].map((r) => [r.urn, r]));
    fs.writeFileSync(resourcesFile, JSON.stringify([...known.values()]), { mode: 0o600 });
    result.resources = current;
    result.wallMs = Date.now() - started;
    return result;
}

main().then((result) => {
    fs.writeFileSync(process.env.E2E_RESULT ?? path.join(engineDir, "last-run.json"), JSON.stringify(result, null, 1));
    process.exit(result.ok ? 0 : 1);
}, (err) => {
    console.error(err);
    process.exit(2);
});
