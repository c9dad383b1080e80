/**
 * local-cloud.ts — the local stand-in for EC2 used by the end-to-end test.
 *
 * Each "instance" is a Debian 12 QEMU VM (see vm/build-image.sh) on a private bridge
 * (vm/net-up.sh). The API is used from several processes over time (the test, the Pulumi mock),
 * so every bit of state lives in files under the state dir:
 *   <stateDir>/cloud.json      { vms: { name: { name, ip, mac, pid, status } } }
 *   <stateDir>/cloud.lock/     an atomic mkdir lock (holder's pid inside; stale locks are broken)
 *   <stateDir>/vms/<name>/     disk, seed, console.log (serial console: read it to debug a boot)
 * Needs root (bridge, taps, dnsmasq, iptables). Host packages: vm/install-deps.sh.
 *
 * CLI (for cleanup after an aborted run):  npx tsx test/e2e/local-cloud.ts destroy-all|list|prepare
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface LocalVm {
  name: string;
  ip: string;
  mac: string;
  running: boolean;
}

export interface LocalCloudOptions {
  /** default: $E2E_STATE or /run/cluster-lab-e2e */
  stateDir?: string;
  /** default: $E2E_CACHE or /var/cache/cluster-lab-e2e */
  cacheDir?: string;
  /** directory holding the vm/*.sh scripts; default: ./vm next to this file */
  scriptsDir?: string;
  /** bridge name; default $E2E_BRIDGE or clab0 */
  bridge?: string;
  /** a /24; default $E2E_SUBNET or 10.213.0.0/24 */
  subnet?: string;
  /** guest memory in MiB; default $E2E_VM_MEMORY or 1024 */
  memoryMiB?: number;
}

interface VmRecord {
  name: string;
  ip: string;
  mac: string;
  pid: number;
  status: "running" | "stopped";
}

interface CloudState {
  imageDir?: string;
  vms: Record<string, VmRecord>;
}

const FIRST_HOST = 11;
const LAST_HOST = 250;

function defaultScriptsDir(): string {
  const candidates: string[] = [];
  if (process.env.E2E_VM_SCRIPTS) candidates.push(process.env.E2E_VM_SCRIPTS);
  // __dirname exists under CommonJS (tsx, ts-node) and vitest; not in native ESM.
  if (typeof __dirname !== "undefined") candidates.push(path.join(__dirname, "vm"));
  candidates.push(path.resolve(process.cwd(), "test/e2e/vm"));
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, "vm-start.sh"))) return dir;
  }
  throw new Error(`local-cloud: cannot find the vm/ scripts (tried ${candidates.join(", ")}); set E2E_VM_SCRIPTS`);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class LocalCloud {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly scriptsDir: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly memoryMiB: number;
  private readonly prefix: string;

  constructor(opts: LocalCloudOptions = {}) {
    this.stateDir = path.resolve(opts.stateDir ?? process.env.E2E_STATE ?? "/run/cluster-lab-e2e");
    this.cacheDir = path.resolve(opts.cacheDir ?? process.env.E2E_CACHE ?? "/var/cache/cluster-lab-e2e");
    this.scriptsDir = opts.scriptsDir ?? defaultScriptsDir();
    this.bridge = opts.bridge ?? process.env.E2E_BRIDGE ?? "clab0";
    this.subnet = opts.subnet ?? process.env.E2E_SUBNET ?? "10.213.0.0/24";
    this.memoryMiB = opts.memoryMiB ?? Number(process.env.E2E_VM_MEMORY ?? 1024);
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(this.subnet);
    if (!m) throw new Error(`local-cloud: subnet must be a /24 like 10.213.0.0/24, got ${this.subnet}`);
    this.prefix = m[1];
  }

  /** Builds or reuses the guest image and brings the network up; returns the image dir. */
  prepare(): string {
    const out = this.script("build-image.sh", [], { timeoutMs: 30 * 60_000, inheritStderr: true });
    const imageDir = out.trim().split("\n").pop() ?? "";
    if (!imageDir || !fs.existsSync(path.join(imageDir, "base.qcow2"))) {
      throw new Error(`local-cloud: build-image.sh did not yield an image dir (got '${imageDir}')`);
    }
    this.script("net-up.sh", []);
    this.withLock(() => {
      const st = this.read();
      st.imageDir = imageDir;
      this.write(st);
    });
    return imageDir;
  }

  subnetCidr(): string {
    return this.subnet;
  }

  /** Address of the host on the bridge (what the VMs see the test coming from). */
  hostIp(): string {
    return process.env.E2E_HOST_IP ?? `${this.prefix}.1`;
  }

  /**
   * Starts (boots) a VM and returns at once (no wait for SSH). Idempotent: a running VM of that
   * name is returned as is; a stopped one (stopVm) is booted again from its kept disk with its IP
   * and MAC (like starting a stopped EC2 instance: user data does not run again).
   * userData: the raw user data (a `#cloud-config` or `#!` script; not base64), as EC2 would
   * deliver it. publicKey: one or more OpenSSH public keys (one per line) for `admin`.
   * opts.hostname: the meta-data local-hostname (default EC2-like `ip-10-213-0-11`).
   */
  startVm(name: string, userData: string | Uint8Array, publicKey: string, opts: { hostname?: string } = {}): LocalVm {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`local-cloud: bad VM name '${name}'`);
    return this.withLock(() => {
      const st = this.read();
      let rec = st.vms[name];
      if (rec && this.isRunning(rec)) return this.toVm(rec);
      if (!rec) {
        const used = new Set(Object.values(st.vms).map((v) => v.ip));
        let ip = "";
        for (let h = FIRST_HOST; h <= LAST_HOST; h++) {
          const cand = `${this.prefix}.${h}`;
          if (!used.has(cand)) {
            ip = cand;
            break;
          }
        }
        if (!ip) throw new Error("local-cloud: no free address left in " + this.subnet);
        rec = { name, ip, mac: macFor(ip), pid: 0, status: "stopped" };
        st.vms[name] = rec;
        this.write(st); // reserve the address even if the boot fails
      }
      fs.mkdirSync(this.stateDir, { recursive: true });
      const udFile = path.join(this.stateDir, `user-data.${name}.${process.pid}`);
      fs.writeFileSync(udFile, userData);
      try {
        const env: NodeJS.ProcessEnv = {};
        if (st.imageDir) env.E2E_IMAGE_DIR = st.imageDir;
        if (opts.hostname) env.E2E_VM_HOSTNAME = opts.hostname;
        // generous timeout: without a prior prepare() this may build the image first
        this.script("vm-start.sh", [name, rec.ip, rec.mac, udFile, publicKey.trim()], { env, timeoutMs: 30 * 60_000 });
      } finally {
        fs.rmSync(udFile, { force: true });
      }
      rec.pid = Number(fs.readFileSync(path.join(this.vmDir(name), "qemu.pid"), "utf8").trim());
      rec.status = "running";
      this.write(st);
      return this.toVm(rec);
    });
  }

  /** Hard power-off (a crashed instance). Keeps the record, disk and address. */
  stopVm(name: string): void {
    this.withLock(() => {
      const st = this.read();
      this.script("vm-stop.sh", [name, "--hard"]);
      const rec = st.vms[name];
      if (rec) {
        rec.pid = 0;
        rec.status = "stopped";
        this.write(st);
      }
    });
  }

  /** Power off and delete everything of that VM (disk, seed, tap, DHCP entry, record). */
  destroyVm(name: string): void {
    this.withLock(() => {
      const st = this.read();
      this.script("vm-stop.sh", [name]);
      if (st.vms[name]) {
        delete st.vms[name];
        this.write(st);
      }
    });
  }

  list(): LocalVm[] {
    const st = this.read();
    return Object.values(st.vms)
      .map((r) => this.toVm(r))
      .sort((a, b) => ipNum(a.ip) - ipNum(b.ip));
  }

  /** Every VM, then the network. Afterwards no qemu, tap, bridge, dnsmasq or rule of ours remains. */
  destroyAll(): void {
    this.withLock(() => {
      const st = this.read();
      const names = new Set(Object.keys(st.vms));
      const vmsDir = path.join(this.stateDir, "vms");
      if (fs.existsSync(vmsDir)) {
        for (const e of fs.readdirSync(vmsDir, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
      }
      for (const name of names) this.script("vm-stop.sh", [name]);
      st.vms = {};
      this.write(st);
      this.script("net-down.sh", []);
      fs.rmSync(path.join(this.stateDir, `net-${this.bridge}.lock`), { force: true });
      try {
        fs.rmdirSync(vmsDir); // only if empty
      } catch {
        /* absent or not empty */
      }
      fs.rmSync(this.stateFile(), { force: true });
    });
  }

  /** Directory with a VM's disk, seed and console.log. */
  vmDir(name: string): string {
    return path.join(this.stateDir, "vms", name);
  }

  /** Serial console output of a VM (for debugging a boot); "" when absent. */
  consoleLog(name: string): string {
    try {
      return fs.readFileSync(path.join(this.vmDir(name), "console.log"), "utf8");
    } catch {
      return "";
    }
  }

  // ---------------------------------------------------------------------------------------

  private isRunning(rec: VmRecord): boolean {
    if (rec.status !== "running" || !pidAlive(rec.pid)) return false;
    try {
      const cmd = fs.readFileSync(`/proc/${rec.pid}/cmdline`, "utf8");
      return cmd.includes("qemu-system") && cmd.includes(`${this.vmDir(rec.name)}/`);
    } catch {
      return false;
    }
  }

  private toVm(rec: VmRecord): LocalVm {
    return { name: rec.name, ip: rec.ip, mac: rec.mac, running: this.isRunning(rec) };
  }

  private script(
    file: string,
    args: string[],
    o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; inheritStderr?: boolean } = {},
  ): string {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      E2E_STATE: this.stateDir,
      E2E_CACHE: this.cacheDir,
      E2E_BRIDGE: this.bridge,
      E2E_SUBNET: this.subnet,
      E2E_VM_MEMORY: String(this.memoryMiB),
      ...o.env,
    };
    try {
      return execFileSync(path.join(this.scriptsDir, file), args, {
        env,
        encoding: "utf8",
        timeout: o.timeoutMs ?? 120_000,
        stdio: ["ignore", "pipe", o.inheritStderr ? "inherit" : "pipe"],
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as { status?: number; stderr?: string | Buffer; message: string };
      const stderr = e.stderr ? String(e.stderr).trim() : "";
      throw new Error(`local-cloud: ${file} ${args.join(" ")} failed (exit ${e.status ?? "?"}): ${stderr || e.message}`);
    }
  }

  private stateFile(): string {
    return path.join(this.stateDir, "cloud.json");
  }

  private read(): CloudState {
    try {
      const st = JSON.parse(fs.readFileSync(this.stateFile(), "utf8")) as CloudState;
      st.vms ??= {};
      return st;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { vms: {} };
      throw err;
    }
  }

  private write(st: CloudState): void {
    fs.mkdirSync(this.stateDir, { recursive: true });
    const tmp = `${this.stateFile()}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(st, null, 2) + "\n");
    fs.renameSync(tmp, this.stateFile());
  }

  /** Cross-process lock: atomic mkdir; a lock whose holder died is broken. */
  private withLock<T>(fn: () => T, timeoutMs = 10 * 60_000): T {
    fs.mkdirSync(this.stateDir, { recursive: true });
    const lock = path.join(this.stateDir, "cloud.lock");
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
        if (Date.now() > deadline) throw new Error(`local-cloud: timed out waiting for ${lock} (held by pid ${holder})`);
        sleepSync(100);
      }
    }
    try {
      return fn();
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

function ipNum(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

/** Locally administered MAC derived from the IP: 52:54:00:<last three octets>. */
export function macFor(ip: string): string {
  const o = ip.split(".").map(Number);
  return ["52", "54", "00", ...o.slice(1).map((x) => x.toString(16).padStart(2, "0"))].join(":");
}

function sshArgs(ip: string, keyFile: string, connectTimeoutS: number): string[] {
  return [
    "-i", keyFile,
    "-o", "IdentitiesOnly=yes",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes",
    "-o", "LogLevel=ERROR",
    "-o", `ConnectTimeout=${connectTimeoutS}`,
    "-o", "ServerAliveInterval=15",
    "-o", "ServerAliveCountMax=4",
    `admin@${ip}`,
  ];
}

/**
 * Runs a command as `admin` over SSH. Never rejects: a timeout gives code 124, a failure to run
 * ssh code 255 (like ssh's own connection errors).
 */
export function sshRun(
  ip: string,
  keyFile: string,
  command: string,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const connectTimeout = Math.max(1, Math.min(20, Math.floor(timeoutMs / 1000)));
    const child = spawn("ssh", [...sshArgs(ip, keyFile, connectTimeout), command], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: 255, stdout, stderr: stderr + String(err) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: stderr + `\nssh: timed out after ${timeoutMs} ms` });
      else resolve({ code: code ?? 255, stdout, stderr });
    });
  });
}

/** Resolves once `ssh admin@ip true` succeeds; rejects after timeoutMs with the last error. */
export async function waitForSsh(ip: string, keyFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const left = deadline - Date.now();
    const r = await sshRun(ip, keyFile, "true", Math.max(1000, Math.min(30_000, left)));
    if (r.code === 0) return;
    last = r.stderr.trim();
    await new Promise((res) => setTimeout(res, Math.min(3000, Math.max(0, deadline - Date.now()))));
  }
  throw new Error(`waitForSsh: admin@${ip} not reachable within ${timeoutMs} ms: ${last}`);
}

// CLI: npx tsx test/e2e/local-cloud.ts destroy-all|list|prepare
if (process.argv[1] && /local-cloud\.[cm]?[tj]s$/.test(process.argv[1])) {
  const cloud = new LocalCloud();
  const cmd = process.argv[2];
  if (cmd === "destroy-all") cloud.destroyAll();
  else if (cmd === "list") console.log(JSON.stringify(cloud.list(), null, 2));
  else if (cmd === "prepare") console.log(cloud.prepare());
  else {
    console.error("usage: local-cloud.ts destroy-all|list|prepare");
    process.exitCode = 2;
  }
}
