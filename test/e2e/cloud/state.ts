// The local cloud's state, shared by the processes that use it over time (the test, each engine
// run, the services daemon): one JSON file, replaced atomically, behind a cross-process lock.
import * as fs from "node:fs";
import * as path from "node:path";
import { IngressRule } from "./security-group";

export interface ImageRecord {
    id: string;
    name: string;
    architecture: string;
    ownerId: string;
    creationDate: string;
    virtualizationType: string;
}

export type InstanceState = "running" | "stopped";

export interface InstanceRecord {
    id: string;
    /** The private address, on the subnet: what the instances reach each other at. */
    ip: string;
    /**
     * The public address the Internet gateway maps to `ip` (1:1 NAT): what the operator reaches.
     * Released while the instance is stopped, a new one on start, as EC2 does without an Elastic IP.
     */
    publicIp: string;
    mac: string;
    pid: number;
    state: InstanceState;
    ami: string;
    instanceType: string;
    keyName: string;
    subnetId: string;
    securityGroupIds: string[];
    tags: Record<string, string>;
    metadataOptions: Record<string, string>;
    /** "stop" (EC2's default) or "terminate": what a shutdown from inside the guest does. */
    shutdownBehavior: string;
    launchedAt: string;
}

export interface CloudState {
    imageDir?: string;
    subnets: Record<string, { id: string; cidr: string; vpcId: string; zone: string }>;
    images: ImageRecord[];
    keyPairs: Record<string, string>;
    groups: Record<string, { id: string; ingress: IngressRule[] }>;
    instances: Record<string, InstanceRecord>;
    /** Ids of instances that were terminated (kept for the test to look at, as EC2 lists them for a while). */
    terminated: string[];
}

export function emptyState(): CloudState {
    return { subnets: {}, images: [], keyPairs: {}, groups: {}, instances: {}, terminated: [] };
}

export function readState(file: string): CloudState {
    try {
        return { ...emptyState(), ...(JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CloudState>) };
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
        throw err;
    }
}

export function writeState(file: string, state: CloudState): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
    fs.renameSync(tmp, file);
}

export function pidAlive(pid: number): boolean {
    if (!pid) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

function sleepSync(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Cross-process lock: an atomic mkdir; a lock whose holder died is broken. */
export function withLock<T>(dir: string, fn: () => T, timeoutMs = 10 * 60_000): T {
    fs.mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, "cloud.lock");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            fs.mkdirSync(lock);
            fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
            break;
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
            let holder = 0;
            try {
                holder = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
            } catch {
                /* being created or removed */
            }
            let age = 0;
            try {
                age = Date.now() - fs.statSync(lock).mtimeMs;
            } catch {
                continue;
            }
            if ((holder && !pidAlive(holder)) || (!holder && age > 10_000)) {
                fs.rmSync(lock, { recursive: true, force: true });
                continue;
            }
            if (Date.now() > deadline) throw new Error(`local cloud: timed out waiting for ${lock} (held by pid ${holder})`);
            sleepSync(100);
        }
    }
    try {
        return fn();
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}
