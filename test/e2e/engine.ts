// The test's handle on the local cloud: `up` and `destroy` run test/e2e/up.ts in a child process
// (a fresh Pulumi runtime each time, as separate CLI runs are), and `ssh` checks a node from outside.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalCloud, sshRun } from "./local-cloud";
import { formatTimeline, RunResult } from "./timeline";

export class LocalEngine {
    readonly cloud = new LocalCloud();
    private runs = 0;

    /** Builds (or reuses) the image, brings the network up and forgets any earlier lab. */
    prepare(): void {
        this.cloud.destroyAll();
        fs.rmSync(path.join(this.cloud.stateDir, "engine"), { recursive: true, force: true });
        this.cloud.prepare();
    }

    up(config: Record<string, string>, title = "up"): Promise<RunResult> {
        return this.run("up", { allowedCidr: this.cloud.subnetCidr(), ...config }, title);
    }

    destroy(): Promise<RunResult> {
        return this.run("destroy", {}, "destroy");
    }

    private async run(mode: string, config: Record<string, string>, title: string): Promise<RunResult> {
        const resultFile = path.join(this.cloud.stateDir, `run-${++this.runs}.json`);
        const log: string[] = [];
        const code = await new Promise<number>((resolve) => {
            const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "up.ts")], {
                env: { ...process.env, E2E_MODE: mode, E2E_CONFIG: JSON.stringify(config), E2E_RESULT: resultFile },
                stdio: ["ignore", "pipe", "pipe"],
            });
            child.stdout.on("data", (d: Buffer) => log.push(d.toString()));
            child.stderr.on("data", (d: Buffer) => log.push(d.toString()));
            child.on("close", (c) => resolve(c ?? 1));
        });
        if (!fs.existsSync(resultFile)) throw new Error(`${title}: the run crashed (exit ${code}):\n${log.join("").slice(-4000)}`);
        const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunResult;
        console.log(formatTimeline(result, title));
        return result;
    }

    /** The lab's generated private key, written by up.ts; the test uses it to look at the nodes. */
    keyFile(): string {
        const keys = JSON.parse(fs.readFileSync(path.join(this.cloud.stateDir, "engine", "keys.json"), "utf8"));
        const file = path.join(this.cloud.stateDir, "test-key");
        fs.writeFileSync(file, Object.values<Record<string, string>>(keys)[0].privateKeyOpenssh, { mode: 0o600 });
        return file;
    }

    ip(node: string): string {
        const vm = this.cloud.list().find((v) => v.name === node);
        if (!vm) throw new Error(`no VM named ${node}`);
        return vm.ip;
    }

    /** Runs a command on a node as admin (with sudo when asked) and returns its stdout; throws on failure. */
    async ssh(node: string, command: string, timeoutMs = 60_000): Promise<string> {
        const result = await sshRun(this.ip(node), this.keyFile(), command, timeoutMs);
        if (result.code !== 0) throw new Error(`ssh ${node} ${command}: exit ${result.code}\n${result.stderr}`);
        return result.stdout.trim();
    }
}
