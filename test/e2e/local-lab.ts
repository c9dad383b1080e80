// The test's handle on a lab in the local cloud: `up` and `destroy` run engine/run.ts in a child
// process inside an outside address's network namespace (a fresh Pulumi runtime each time, as
// separate CLI runs are), and the checks look at the lab from the operator's address, never from the
// host's bridge address.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHECKIP_URL, fromOutside, OUTSIDE, Vantage } from "./cloud/network";
import { InstanceRecord } from "./cloud/state";
import { LocalCloud } from "./cloud/vms";
import { loadResources, readCheckpoint, StateResource, unwrap } from "./engine/state";
import { keyFileFor, ssh } from "./ssh";
import { formatTimeline, RunResult } from "./timeline";

export interface RunOptions {
    /** The address the CLI runs from (default: the operator's). */
    as?: Vantage;
    title?: string;
    /** `pulumi up --replace`: resource names or URNs. */
    replace?: string[];
    /** Resource names whose Create fails, as a provider error would. */
    fail?: string[];
}

export const ALLOWED_CIDR = OUTSIDE.operator.cidr;
const ENGINE = path.join(__dirname, "engine", "run.ts");

export interface LabOptions {
    /** The engine's entry file (tests of the handle give a stand-in). */
    engine?: string;
    /** The command prefix that runs a program from an outside address. */
    outside?: (where: Vantage) => string[];
}

export class LocalLab {
    readonly cloud = new LocalCloud();
    readonly engineDir = path.join(this.cloud.stateDir, "engine");
    readonly checkpointFile = path.join(this.engineDir, "checkpoint.json");
    private runs = 0;
    private readonly engine: string;
    private readonly outside: (where: Vantage) => string[];

    constructor(opts: LabOptions = {}) {
        this.engine = opts.engine ?? ENGINE;
        this.outside = opts.outside ?? fromOutside;
    }

    /** Builds (or reuses) the image, brings the outside addresses and services up, forgets any earlier lab. */
    prepare(): void {
        this.cloud.destroyAll();
        fs.rmSync(this.engineDir, { recursive: true, force: true });
        this.cloud.prepare();
    }

    /** Forgets the lab's state (after a destroy) so the next `up` starts a new stack. */
    forget(): void {
        fs.rmSync(this.engineDir, { recursive: true, force: true });
    }

    up(config: Record<string, string>, opts: RunOptions = {}): Promise<RunResult> {
        return this.run("up", { allowedCidr: ALLOWED_CIDR, ...config }, opts);
    }

    /** `pulumi refresh`: instances the cloud no longer has leave the state. */
    refresh(opts: RunOptions = {}): Promise<RunResult> {
        return this.run("refresh", {}, { title: "refresh", ...opts });
    }

    destroy(opts: RunOptions = {}): Promise<RunResult> {
        return this.run("destroy", {}, { title: "destroy", ...opts });
    }

    private async run(mode: string, config: Record<string, string>, opts: RunOptions): Promise<RunResult> {
        const title = `${opts.title ?? mode} (from the ${opts.as ?? "operator"})`;
        const runsDir = path.join(this.cloud.stateDir, "runs");
        fs.mkdirSync(runsDir, { recursive: true });
        // A path no earlier run can have written: a crash is never mistaken for an old success.
        const resultFile = path.join(runsDir, `run-${process.pid}-${++this.runs}-${randomBytes(4).toString("hex")}.json`);
        fs.rmSync(resultFile, { force: true });
        const log: string[] = [];
        const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
            const [cmd, ...args] = [...this.outside(opts.as ?? "operator"), process.execPath, "--import", "tsx", this.engine];
            const child = spawn(cmd, args, {
                env: {
                    ...process.env,
                    E2E_MODE: mode,
                    E2E_CONFIG: JSON.stringify(config),
                    E2E_RESULT: resultFile,
                    E2E_REPLACE: JSON.stringify(opts.replace ?? []),
                    E2E_FAIL: JSON.stringify(opts.fail ?? []),
                    E2E_HOST_NETNS: `/proc/${process.pid}/ns/net`,
                    CLUSTER_LAB_CHECKIP_URL: CHECKIP_URL,
                },
                stdio: ["ignore", "pipe", "pipe"],
            });
            for (const stream of [child.stdout, child.stderr]) {
                stream.on("data", (d: Buffer) => log.push(d.toString()));
                stream.on("error", () => undefined);
            }
            child.on("error", (err) => log.push(`spawn: ${err.message}`));
            child.on("close", (c, s) => resolve({ code: c, signal: s }));
        });
        fs.writeFileSync(resultFile.replace(/\.json$/, ".log"), log.join(""));
        let result: RunResult;
        if (fs.existsSync(resultFile)) {
            result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunResult;
            if (code !== (result.ok ? 0 : 1)) {
                result.ok = false;
                result.error =
                    `${result.error ?? ""}\nengine exited ${code ?? signal} after writing its result:\n${log.join("").slice(-4000)}`.trim();
            }
        } else {
            result = {
                ok: false,
                mode,
                outputs: {},
                commands: [],
                instancesCreated: {},
                deleted: [],
                wallMs: 0,
                error: `${title}: the engine died (${signal ? `signal ${signal}` : `exit ${code}`}) without a result:\n${log.join("").slice(-4000)}`,
            };
        }
        console.log(formatTimeline(result, title));
        return result;
    }

    /**
     * The operator's own script (scripts/operator/lab.sh) with the fake pulumi CLI on PATH, from an
     * outside address: its `pulumi up`/`destroy` run the engine on this lab's state.
     */
    async operatorScript(
        args: string[],
        config: Record<string, string>,
        opts: RunOptions = {},
    ): Promise<{ code: number; output: string; result?: RunResult }> {
        const bin = path.join(this.cloud.stateDir, "fake-bin");
        fs.mkdirSync(bin, { recursive: true });
        fs.rmSync(path.join(bin, "pulumi"), { force: true });
        fs.symlinkSync(path.join(__dirname, "fake-pulumi"), path.join(bin, "pulumi"));
        const resultFile = path.join(
            this.cloud.stateDir,
            "runs",
            `lab-sh-${process.pid}-${++this.runs}-${randomBytes(4).toString("hex")}.json`,
        );
        fs.mkdirSync(path.dirname(resultFile), { recursive: true });
        const root = path.resolve(__dirname, "..", "..");
        const [cmd, ...argv] = [...this.outside(opts.as ?? "operator"), path.join(root, "scripts", "operator", "lab.sh"), ...args];
        const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
            const child = spawn(cmd, argv, {
                cwd: root,
                stdio: ["ignore", "pipe", "pipe"],
                env: {
                    ...process.env,
                    PATH: `${bin}:${process.env.PATH}`,
                    E2E_CHECKPOINT: this.checkpointFile,
                    E2E_CONFIG: JSON.stringify({ allowedCidr: ALLOWED_CIDR, ...config }),
                    E2E_RESULT: resultFile,
                    E2E_FAIL: JSON.stringify(opts.fail ?? []),
                    E2E_HOST_NETNS: `/proc/${process.pid}/ns/net`,
                    CLUSTER_LAB_CHECKIP_URL: CHECKIP_URL,
                    PULUMI_CONFIG_PASSPHRASE: "e2e",
                },
            });
            let out = "";
            for (const stream of [child.stdout, child.stderr]) {
                stream.on("data", (d: Buffer) => (out += d));
                stream.on("error", () => undefined);
            }
            child.on("error", (err) => (out += `spawn: ${err.message}`));
            child.on("close", (c, signal) => resolve({ code: c ?? (signal ? 128 : 1), output: out }));
        });
        const result = fs.existsSync(resultFile) ? (JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunResult) : undefined;
        if (result) console.log(formatTimeline(result, `${opts.title ?? `lab.sh ${args.join(" ")}`} (from the ${opts.as ?? "operator"})`));
        return { code, output, result };
    }

    /** The saved state (as `pulumi stack export --show-secrets` has it), secrets opened. */
    state(): StateResource[] {
        return loadResources(readCheckpoint(this.checkpointFile));
    }

    /** The live instance of a node, by its Pulumi resource name. */
    instance(node: string): InstanceRecord {
        const resource = this.state().find((r) => r.type === "aws:ec2/instance:Instance" && !r.delete && r.urn.endsWith(`::${node}`));
        const record = resource?.id ? this.cloud.instance(resource.id) : undefined;
        if (!record) throw new Error(`no running instance for node ${node}`);
        return record;
    }

    /** The node's public address: the one the operator and the runner reach. */
    ip(node: string): string {
        return this.instance(node).publicIp;
    }

    /** The node's private address: the one the other nodes reach. */
    privateIp(node: string): string {
        return this.instance(node).ip;
    }

    /** The lab's generated private key, read from the saved state. */
    keyFile(): string {
        const key = this.state().find((r) => r.type === "tls:index/privateKey:PrivateKey");
        if (!key) throw new Error("no tls key in the state");
        return keyFileFor(this.engineDir, String(unwrap(key.outputs).privateKeyOpenssh));
    }

    /** Runs a command on a node as admin over SSH from an outside address; stdout, or throws. */
    async ssh(node: string, command: string, opts: { as?: Vantage; timeoutMs?: number } = {}): Promise<string> {
        const result = await ssh(
            {
                host: this.ip(node),
                user: "admin",
                keyFile: this.keyFile(),
                connectTimeoutS: 10,
                prefix: fromOutside(opts.as ?? "operator"),
            },
            command,
            "",
            opts.timeoutMs ?? 60_000,
            this.engineDir,
        );
        if (result.code !== 0) throw new Error(`ssh ${node} ${command}: exit ${result.code}\n${result.stderr}`);
        return result.stdout.trim();
    }

    /** An HTTP GET from an outside address on a fresh connection; the body, or throws. */
    get(url: string, as: Vantage = "operator"): Promise<string> {
        return new Promise((resolve, reject) => {
            const [cmd, ...args] = [...fromOutside(as), "curl", "-fsS", "--max-time", "5", url];
            execFile(cmd, args, { encoding: "utf8" }, (err, stdout, stderr) =>
                err ? reject(new Error(`GET ${url} from the ${as}: ${stderr.trim() || err.message}`)) : resolve(stdout),
            );
        });
    }

    /** The fake `pulumi` CLI against this lab's state, from an outside address. */
    pulumi(args: string[], as: Vantage = "operator"): Promise<string> {
        return new Promise((resolve, reject) => {
            const [cmd, ...argv] = [...fromOutside(as), path.join(__dirname, "fake-pulumi"), ...args];
            execFile(
                cmd,
                argv,
                { encoding: "utf8", env: { ...process.env, E2E_CHECKPOINT: this.checkpointFile } },
                (err, stdout, stderr) =>
                    err ? reject(new Error(`pulumi ${args.join(" ")}: ${stderr.trim() || err.message}`)) : resolve(stdout),
            );
        });
    }
}
