// One SSH session as the remote.Command provider opens it, and the test's own SSH. Never throws and
// never crashes the process: a dead connection, a killed VM, a refused port or a closed stdin
// (EPIPE) end as a failed result with what was printed.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface SshResult {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout and stderr interleaved as they arrived. */
    output: string;
    /** Set when the process could not run or was killed. */
    error?: string;
}

export interface SshTarget {
    host: string;
    user: string;
    keyFile?: string;
    /** authorized_keys form: only this key is accepted, only its algorithm offered (ssh.FixedHostKey). */
    hostKey?: string;
    connectTimeoutS: number;
    /** Runs ssh inside a network namespace (the test's checks from an outside address). */
    prefix?: string[];
}

export function keyFileFor(dir: string, privateKey: string): string {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `key-${createHash("sha256").update(privateKey).digest("hex").slice(0, 12)}`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, privateKey.endsWith("\n") ? privateKey : privateKey + "\n", { mode: 0o600 });
    return file;
}

function hostKeyOptions(dir: string, host: string, hostKey: string | undefined): string[] {
    if (!hostKey) return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
    const fields = hostKey.trim().split(/\s+/);
    const at = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
    if (at < 0 || !fields[at + 1]) throw new Error(`hostKey is not in authorized_keys format: ${hostKey.slice(0, 40)}`);
    const file = path.join(
        dir,
        `known-${createHash("sha256")
            .update(host + hostKey)
            .digest("hex")
            .slice(0, 12)}`,
    );
    fs.writeFileSync(file, `${host} ${fields[at]} ${fields[at + 1]}\n`);
    return ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", `HostKeyAlgorithms=${fields[at]}`];
}

export function ssh(target: SshTarget, command: string, stdin: string, timeoutMs = 0, stateDir = "/tmp"): Promise<SshResult> {
    return new Promise((resolve) => {
        let stdout = "",
            stderr = "",
            output = "",
            settled = false;
        const finish = (code: number, error?: string) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
                code,
                stdout,
                stderr: error ? `${stderr}${stderr && !stderr.endsWith("\n") ? "\n" : ""}${error}` : stderr,
                output: error ? `${output}\n${error}` : output,
                error,
            });
        };
        let args: string[];
        try {
            args = [
                ...(target.keyFile ? ["-i", target.keyFile, "-o", "IdentitiesOnly=yes"] : []),
                ...hostKeyOptions(stateDir, target.host, target.hostKey),
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
                "-o",
                `ConnectTimeout=${target.connectTimeoutS}`,
                "-o",
                "ServerAliveInterval=15",
                "-o",
                "ServerAliveCountMax=8",
                `${target.user}@${target.host}`,
                command,
            ];
        } catch (err) {
            return finish(255, (err as Error).message);
        }
        const [file, ...argv] = [...(target.prefix ?? []), "ssh", ...args];
        const child = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"] });
        const timer = timeoutMs > 0 ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : undefined;
        child.stdout.on("data", (d: Buffer) => {
            stdout += d;
            output += d;
        });
        child.stderr.on("data", (d: Buffer) => {
            stderr += d;
            output += d;
        });
        // The far end may close before reading stdin (a dead connection): EPIPE is its failure, not ours.
        for (const stream of [child.stdin, child.stdout, child.stderr]) stream.on("error", () => undefined);
        child.on("error", (err) => finish(255, `ssh: ${err.message}`));
        child.on("close", (code, signal) =>
            finish(code ?? 255, signal ? `ssh killed by ${signal}${timeoutMs > 0 ? ` (timeout ${timeoutMs} ms?)` : ""}` : undefined),
        );
        child.stdin.end(stdin);
    });
}
