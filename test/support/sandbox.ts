// The one script sandbox: a node script rendered exactly as components/remote.ts sends it (prelude,
// exported variables, script) and run with bash, with stubs from test/stubs on PATH in place of
// docker, kubeadm, apt-get, ... Each stub logs its calls; `state` and `file` hold what they keep.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { renderScriptText, Script } from "../../components/remote";
import { NODE_WAITS } from "../../components/timeouts";

export const STUBS = path.join(__dirname, "..", "stubs");

/** The stateful stubs; any other command is stub-logger, which logs and exits STUB_EXIT_<name>. */
const STUB_FOR: Record<string, string> = { docker: "docker", curl: "docker", pulumi: "pulumi" };
/** Kubernetes tests stub all of these with k8s-tools, which keeps what kubeadm would change. */
export const K8S_TOOLS = [
    "kubeadm",
    "kubectl",
    "containerd",
    "ctr",
    "kubelet",
    "systemctl",
    "modprobe",
    "sysctl",
    "swapoff",
    "apt-get",
    "apt-mark",
    "curl",
    "gpg",
    "dpkg",
    "sleep",
    "cloud-init",
];

export interface ScriptRun {
    code: number;
    stdout: string;
    stderr: string;
    /** Every stubbed command line, in order. */
    calls: string[];
}

export interface Sandbox {
    dir: string;
    /** KUBERNETES_DIR of the k8s scripts: admin.conf, kubelet.conf, pki/, manifests/. */
    kubernetesDir: string;
    /** Writes a file the stubs read (k8s-tools: join-line, exit-<name>, ...). */
    file(name: string, text: string): void;
    remove(name: string): void;
    /** The docker stub's state. */
    state(): Record<string, any>;
    setState(patch: Record<string, unknown>): void;
    /** Runs a node script as the node would, with its variables (the waits of components/timeouts.ts unless given). */
    run(script: Script, env?: Record<string, string | number>, extraEnv?: Record<string, string>): ScriptRun;
    /** Runs a plain command (an operator script) with the stubs on PATH. */
    exec(command: string[], env?: Record<string, string>): ScriptRun;
}

export interface SandboxOptions {
    /** Commands replaced by a stub (see STUB_FOR), or `name=stub-file` for another stub. */
    stubs: string[];
    /** Stub K8S_TOOLS with k8s-tools. */
    kubernetes?: boolean;
    /** The docker stub's initial state. */
    state?: Record<string, unknown>;
    /** Output of `hostname`. */
    hostname?: string;
}

export function sandbox(opts: SandboxOptions): Sandbox {
    const dir = mkdtempSync(path.join(tmpdir(), "lab-sandbox-"));
    const bin = path.join(dir, "bin");
    const stubDir = path.join(dir, "stub-files");
    mkdirSync(bin);
    mkdirSync(stubDir);
    for (const stub of opts.stubs) {
        const [name, file] = stub.split("=");
        symlinkSync(path.join(STUBS, file ?? STUB_FOR[name] ?? "stub-logger"), path.join(bin, name));
    }
    for (const name of opts.kubernetes ? K8S_TOOLS : []) symlinkSync(path.join(STUBS, "k8s-tools"), path.join(bin, name));
    writeFileSync(path.join(bin, "hostname"), `#!/usr/bin/env bash\ncat "${dir}/hostname"\n`, { mode: 0o755 });
    writeFileSync(path.join(dir, "hostname"), `${opts.hostname ?? "ip-10-42-1-10"}\n`);
    const stateFile = path.join(dir, "state.json");
    const log = path.join(dir, "calls.log");
    writeFileSync(
        stateFile,
        JSON.stringify({
            swarm: "inactive",
            manager: false,
            remote: "",
            nodeId: "node-abc",
            nodeStatus: ["Ready"],
            tokens: { worker: "SWMTKN-1-aaaa-worker", manager: "SWMTKN-1-aaaa-mgr" },
            ...opts.state,
        }),
    );

    const execute = (command: string[], env: Record<string, string>, input?: string): ScriptRun => {
        writeFileSync(log, "");
        const result = spawnSync(command[0], command.slice(1), {
            env: {
                PATH: `${bin}:/usr/bin:/bin`,
                HOME: dir,
                STUB_STATE: stateFile,
                STUB_LOG: log,
                STUB_DIR: stubDir,
                KUBERNETES_DIR: path.join(dir, "etc-kubernetes"),
                POLL_INTERVAL: "0",
                RETRY_DELAY: "0",
                ...env,
            },
            input,
            encoding: "utf8",
        });
        return {
            code: result.status ?? -1,
            stdout: result.stdout,
            stderr: result.stderr,
            calls: readFileSync(log, "utf8").split("\n").filter(Boolean),
        };
    };

    return {
        dir,
        kubernetesDir: path.join(dir, "etc-kubernetes"),
        file(name, text) {
            mkdirSync(path.dirname(path.join(stubDir, name)), { recursive: true });
            writeFileSync(path.join(stubDir, name), text);
        },
        remove: (name) => spawnSync("rm", ["-f", path.join(stubDir, name), path.join(bin, name)]),
        state: () => JSON.parse(readFileSync(stateFile, "utf8")),
        setState(patch) {
            writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(readFileSync(stateFile, "utf8")), ...patch }));
        },
        run(script, env = {}, extraEnv = {}) {
            const text = renderScriptText(script, { ...NODE_WAITS, ...env });
            return execute(["bash", "-c", text], { LAB_NODE: "test-node", LAB_STEP: "test", ...extraEnv });
        },
        exec: (command, env = {}) => execute(command, env),
    };
}

export const calledWith = (calls: string[], prefix: string) => calls.filter((c) => c.startsWith(prefix));
