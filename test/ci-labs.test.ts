// Labs from CI: the four GitHub workflows (parsed, and their shell steps run for real against a
// fake `pulumi` that serves recorded JSON) and scripts/expired-labs.sh, the sweeper's decision.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { DEFAULTS } from "../components/config";

const root = resolve(__dirname, "..");
const fixtures = join(root, "test", "fixtures", "ci");
const script = join(root, "scripts", "expired-labs.sh");
/** The clock of the recorded fixtures: alice, erin and grace are past their expiry, bob is not. */
const NOW = "2026-03-10T12:00:00Z";

interface Step {
    id?: string;
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    "runs-on"?: string;
    "timeout-minutes"?: number;
    needs?: string | string[];
    if?: string;
    env?: Record<string, string>;
    outputs?: Record<string, string>;
    strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean };
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    steps: Step[];
}
interface Input {
    description?: string;
    type?: string;
    required?: boolean;
    default?: unknown;
    options?: string[];
}
interface Workflow {
    name: string;
    on: {
        push?: unknown;
        pull_request?: unknown;
        schedule?: { cron: string }[];
        workflow_dispatch?: { inputs?: Record<string, Input> } | null;
    };
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    env?: Record<string, string>;
    jobs: Record<string, Job>;
}

const WORKFLOWS = ["test", "lab-up", "lab-destroy", "lab-sweeper"] as const;
type WorkflowName = (typeof WORKFLOWS)[number];

const text = (name: WorkflowName) => readFileSync(join(root, ".github", "workflows", `${name}.yml`), "utf8");
const workflow = (name: WorkflowName) => parse(text(name)) as Workflow;
const allSteps = (wf: Workflow) => Object.values(wf.jobs).flatMap((job) => job.steps);
const runScripts = (wf: Workflow) => allSteps(wf).flatMap((s) => (s.run ? [s.run] : []));
const inputsOf = (wf: Workflow) => wf.on.workflow_dispatch?.inputs ?? {};

function step(wf: Workflow, id: string): Step {
    const found = allSteps(wf).find((s) => s.id === id);
    if (!found) throw new Error(`no step with id ${id}`);
    return found;
}

// ---------------------------------------------------------------------------------------------
// A fake `pulumi` on PATH: serves test/fixtures/ci, logs every call, refuses --show-secrets.

let work: string;
let fakeBin: string;

const FAKE_PULUMI = String.raw`#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_LOG"
for arg in "$@"; do
  if [ "$arg" = --show-secrets ]; then echo "fake pulumi: --show-secrets refused" >&2; exit 97; fi
done
case "$1 ${"${2:-}"}" in
  "login "*) echo "Logged in to fake backend"; exit 0 ;;
  "stack ls")
    [ "${"${3:-}"}" = --json ] || { echo "fake pulumi: stack ls without --json" >&2; exit 98; }
    [ "$FAKE_STACKS" != FAIL ] || { echo "error: could not reach the backend" >&2; exit 255; }
    cat "$FAKE_STACKS"; exit 0 ;;
  "stack output")
    shift 2
    stack=${"${FAKE_CURRENT:-}"} prop= json=0
    while [ $# -gt 0 ]; do
      case $1 in
        --stack | -s) stack=$2; shift 2 ;;
        --json | -j) json=1; shift ;;
        -*) echo "fake pulumi: unexpected flag $1" >&2; exit 98 ;;
        *) prop=$1; shift ;;
      esac
    done
    [ "$json" = 1 ] || { echo "fake pulumi: stack output without --json" >&2; exit 98; }
    file=$FAKE_OUTPUTS/outputs-$stack.json
    [ -f "$file" ] || { echo "error: no stack named '$stack' found" >&2; exit 255; }
    if [ -z "$prop" ]; then cat "$file"; exit 0; fi
    jq -e --arg p "$prop" 'if has($p) then .[$p] else empty end' "$file" ||
      { echo "error: current stack does not have output property '$prop'" >&2; exit 255; }
    exit 0 ;;
esac
echo "fake pulumi: unexpected command: $*" >&2
exit 99
`;

beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "ci-labs-"));
    fakeBin = join(work, "bin");
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, "pulumi"), FAKE_PULUMI);
    chmodSync(join(fakeBin, "pulumi"), 0o755);
});

let runCount = 0;
interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
    /** The fake pulumi's command lines. */
    calls: string[];
    /** Files the step wrote ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, REPORT). */
    output: string;
    summary: string;
    report: string;
}

function execute(command: string[], env: Record<string, string>, cwd = root): Run {
    const dir = join(work, `run-${++runCount}`);
    mkdirSync(dir);
    const files = {
        log: join(dir, "pulumi.log"), output: join(dir, "output"), summary: join(dir, "summary"), report: join(dir, "report"),
    };
    for (const f of Object.values(files)) writeFileSync(f, "");
    const result = spawnSync(command[0], command.slice(1), {
        cwd,
        encoding: "utf8",
        env: {
            PATH: `${fakeBin}:${process.env.PATH}`,
            HOME: dir,
            FAKE_LOG: files.log,
            FAKE_OUTPUTS: fixtures,
            FAKE_STACKS: join(fixtures, "stack-ls.json"),
            GITHUB_OUTPUT: files.output,
            GITHUB_STEP_SUMMARY: files.summary,
            REPORT: files.report,
            ...env,
        },
    });
    const read = (f: string) => readFileSync(f, "utf8");
    return {
        status: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        calls: read(files.log).split("\n").filter(Boolean),
        output: read(files.output),
        summary: read(files.summary),
        report: read(files.report),
    };
}

/** Runs a workflow step's script the way GitHub's `shell: bash` does. */
function runStep(s: Step, env: Record<string, string>, cwd = root): Run {
    const file = join(work, `step-${++runCount}.sh`);
    writeFileSync(file, s.run ?? "exit 42");
    return execute(["bash", "--noprofile", "--norc", "-eo", "pipefail", file], env, cwd);
}

/** Runs scripts/expired-labs.sh on a recorded `pulumi stack ls --json`. */
function sweep(stacks: string, env: Record<string, string> = {}) {
    const run = execute(["bash", script], { FAKE_STACKS: join(fixtures, stacks), NOW, ...env });
    const rows = run.report.split("\n").filter(Boolean).map((line) => line.split("\t"));
    return {
        ...run,
        expired: run.stdout.split("\n").filter(Boolean),
        status: run.status,
        statusOf: Object.fromEntries(rows.map(([name, status]) => [name, status])) as Record<string, string>,
    };
}

// ---------------------------------------------------------------------------------------------

describe("scripts/expired-labs.sh (the sweeper's decision)", () => {
    it("prints exactly the expired labs, in listing order, and keeps live ones", () => {
        const r = sweep("stack-ls.json");
        expect(r.status).toBe(0);
        expect(r.expired).toEqual(["alice", "erin", "grace"]);
        expect(r.statusOf).toEqual({
            alice: "expired", bob: "live", carol: "unlabelled", dave: "malformed",
            erin: "expired", frank: "unlabelled", grace: "expired",
        });
        expect(r.stderr).not.toMatch(/bob/);
    });

    it("reports unlabelled labs (no expiresAt: ttl 0, or never deployed) without destroying them", () => {
        const r = sweep("stack-ls.json");
        expect(r.expired).not.toContain("carol");
        expect(r.expired).not.toContain("frank");
        expect(r.stderr).toMatch(/unlabelled: carol .*not destroyed/);
        expect(r.stderr).toMatch(/unlabelled: frank /);
    });

    it("reports a malformed expiresAt and keeps that lab", () => {
        const r = sweep("stack-ls.json");
        expect(r.expired).not.toContain("dave");
        expect(r.stderr).toMatch(/malformed: dave .*not destroyed/);
        expect(r.report).toContain("dave\tmalformed\tnext tuesday\t");
    });

    it("compares instants: the boundary second, fractions and UTC offsets", () => {
        // alice expires at 09:30:12Z: expired from that second on, not before.
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T09:30:11Z" }).statusOf.alice).toBe("live");
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T09:30:12Z" }).statusOf.alice).toBe("expired");
        // erin: 20:59:58.250+09:00 is 11:59:58.25 UTC.
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T11:59:58Z" }).statusOf.erin).toBe("live");
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T11:59:58.3Z" }).statusOf.erin).toBe("expired");
        // NOW itself may carry an offset: 21:00+09:00 is the fixtures' 12:00Z.
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T21:00:00+09:00" }).expired).toEqual(["alice", "erin", "grace"]);
        // Hours later every labelled lab is expired; unlabelled and malformed ones still are not.
        expect(sweep("stack-ls.json", { NOW: "2026-03-11T00:00:00Z" }).expired).toEqual(["alice", "bob", "erin", "grace"]);
    });

    it("keeps a lab whose update is in progress and one whose outputs cannot be read (Pulumi Cloud listing)", () => {
        const r = sweep("stack-ls-cloud.json");
        expect(r.status).toBe(0);
        expect(r.expired).toEqual([]);
        expect(r.statusOf).toEqual({ heidi: "busy", ivan: "live", judy: "error" });
        expect(r.stderr).toMatch(/busy: heidi/);
        expect(r.stderr).toMatch(/error: judy .*not destroyed/);
    });

    it("handles zero stacks: [] and the empty output of older CLIs", () => {
        const empty = sweep("stack-ls-empty.json");
        expect(empty.status).toBe(0);
        expect(empty.stdout).toBe("");
        expect(empty.report).toBe("");
        const nothing = join(work, "nothing.json");
        writeFileSync(nothing, "");
        const r = execute(["bash", script], { FAKE_STACKS: nothing, NOW });
        expect(r.status).toBe(0);
        expect(r.stdout).toBe("");
    });

    it("fails instead of guessing when the listing or NOW is unusable", () => {
        expect(execute(["bash", script], { FAKE_STACKS: "FAIL", NOW }).status).toBe(1);
        const notArray = join(work, "not-array.json");
        writeFileSync(notArray, '{"name": "alice"}');
        const bad = execute(["bash", script], { FAKE_STACKS: notArray, NOW });
        expect(bad.status).toBe(1);
        expect(bad.stdout).toBe("");
        for (const now of ["tomorrow", "2026-03-10T12:00:00", "2026-02-30T12:00:00Z", "2026-03-10 12:00:00Z"]) {
            const r = sweep("stack-ls.json", { NOW: now });
            expect(r.status, now).toBe(2);
            expect(r.stdout, now).toBe("");
        }
    });

    it("asks Pulumi only for the listing and each stack's plain outputs", () => {
        const r = sweep("stack-ls.json");
        expect(r.calls[0]).toBe("stack ls --json");
        expect(r.calls.slice(1)).toEqual(
            ["alice", "bob", "carol", "dave", "erin", "frank", "grace"].map((s) => `stack output --stack ${s} --json`));
    });

    it("defaults NOW to the clock", () => {
        // The fixtures lie in the past of any clock that runs this test.
        const r = execute(["bash", script], { FAKE_STACKS: join(fixtures, "stack-ls.json") });
        expect(r.status).toBe(0);
        expect(r.stdout.split("\n").filter(Boolean)).toEqual(["alice", "bob", "erin", "grace"]);
    });

    it("is shellcheck-clean", () => {
        const r = spawnSync("shellcheck", [script], { encoding: "utf8" });
        expect(r.error, "shellcheck must be installed (apt-get install shellcheck)").toBeUndefined();
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });
});

describe("recorded fixtures are in Pulumi's real formats", () => {
    it("stack ls --json: an array of {name, current, lastUpdate?, updateInProgress, resourceCount?, url?}", () => {
        const allowed = new Set(["name", "current", "lastUpdate", "updateInProgress", "resourceCount", "url"]);
        for (const f of ["stack-ls.json", "stack-ls-cloud.json", "stack-ls-empty.json"]) {
            const stacks = JSON.parse(readFileSync(join(fixtures, f), "utf8")) as Record<string, unknown>[];
            expect(Array.isArray(stacks)).toBe(true);
            for (const s of stacks) {
                expect(Object.keys(s).every((k) => allowed.has(k)), JSON.stringify(s)).toBe(true);
                expect(typeof s.name).toBe("string");
                expect(typeof s.current).toBe("boolean");
            }
        }
    });

    it("stack output --json: the program's outputs, secrets shown only as [secret]", () => {
        const alice = JSON.parse(readFileSync(join(fixtures, "outputs-alice.json"), "utf8")) as Record<string, unknown>;
        expect(Object.keys(alice)).toEqual([...Object.keys(alice)].sort()); // the CLI sorts keys
        expect(alice).toMatchObject({ privateKey: "[secret]", expiresAt: "2026-03-10T09:30:12Z" });
        expect(alice.nodes).toHaveLength(3);
        expect(alice.nginxUrls).toHaveLength(3);
    });
});

describe("workflows: shape", () => {
    const workflows = Object.fromEntries(WORKFLOWS.map((n) => [n, workflow(n)])) as Record<WorkflowName, Workflow>;

    it("all four parse as YAML with a name, triggers and jobs that have runners and time limits", () => {
        for (const name of WORKFLOWS) {
            const wf = workflows[name];
            expect(wf.name, name).toBe(name);
            expect(wf.on, name).toBeTypeOf("object");
            expect(Object.keys(wf.jobs).length, name).toBeGreaterThan(0);
            for (const [id, job] of Object.entries(wf.jobs)) {
                expect(job["runs-on"], `${name}.${id}`).toMatch(/^ubuntu-/);
                expect(job["timeout-minutes"], `${name}.${id}`).toBeGreaterThan(0);
                expect(job.steps.length, `${name}.${id}`).toBeGreaterThan(0);
            }
        }
    });

    it("pins every action to a major version tag", () => {
        const uses = WORKFLOWS.flatMap((n) => allSteps(workflows[n]).flatMap((s) => (s.uses ? [s.uses] : [])));
        expect(uses.length).toBeGreaterThan(10);
        for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
        const actions = new Set(uses.map((u) => u.split("@")[0]));
        expect([...actions].sort()).toEqual(
            ["actions/checkout", "actions/setup-node", "aws-actions/configure-aws-credentials", "pulumi/actions"]);
    });

    it("never puts ${{ }} expressions inside run scripts (inputs reach them as environment variables)", () => {
        for (const name of WORKFLOWS) {
            for (const run of runScripts(workflows[name])) expect(run, name).not.toContain("${{");
        }
    });

    it("has shellcheck-clean run scripts", () => {
        const dir = join(work, "shellcheck");
        mkdirSync(dir, { recursive: true });
        const files = WORKFLOWS.flatMap((name) => runScripts(workflows[name]).map((run, i) => {
            const file = join(dir, `${name}-${i}.sh`);
            writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${run}`);
            return file;
        }));
        const r = spawnSync("shellcheck", files, { encoding: "utf8" });
        expect(r.error, "shellcheck must be installed").toBeUndefined();
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    it("never asks for or prints secrets", () => {
        for (const name of WORKFLOWS) {
            expect(text(name), name).not.toMatch(/--show-secrets|show-secrets:\s*true/);
            for (const run of runScripts(workflows[name])) expect(run, name).not.toMatch(/privateKey|kubeconfig/);
        }
    });

    it("lab workflows get AWS credentials by OIDC (id-token: write, vars.AWS_ROLE_ARN) and the backend from vars/secrets", () => {
        for (const name of ["lab-up", "lab-destroy", "lab-sweeper"] as const) {
            const wf = workflows[name];
            expect(wf.permissions, name).toEqual({ contents: "read", "id-token": "write" });
            expect(wf.env, name).toMatchObject({
                PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
                PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
            });
            for (const [id, job] of Object.entries(wf.jobs)) {
                const aws = job.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
                expect(aws, `${name}.${id}`).toHaveLength(1);
                expect(aws[0].with?.["role-to-assume"], `${name}.${id}`).toBe("${{ vars.AWS_ROLE_ARN }}");
                expect(job.steps.some((s) => s.uses?.startsWith("pulumi/actions@")), `${name}.${id}`).toBe(true);
            }
        }
        expect(workflows.test.permissions).toEqual({ contents: "read" });
    });

    it("lets no two runs touch one lab at once: lab-up, lab-destroy and the sweeper's destroy share lab-<name>", () => {
        const groups = [
            workflows["lab-up"].concurrency,
            workflows["lab-destroy"].concurrency,
            workflows["lab-sweeper"].jobs.destroy.concurrency,
        ];
        for (const g of groups) {
            expect(g?.["cancel-in-progress"]).toBe(false);
            expect(g?.group.replace(/\$\{\{\s*(inputs|matrix)\.lab\s*\}\}/, "NAME")).toBe("lab-NAME");
        }
        expect(workflows["lab-sweeper"].concurrency?.group).toBe("lab-sweeper");
    });
});

describe("test.yml", () => {
    const wf = workflow("test");

    it("runs on push and pull request", () => {
        expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    });

    it("installs with npm ci and runs the README's test command, npm test", () => {
        const runs = runScripts(wf).map((r) => r.trim());
        const install = runs.indexOf("npm ci");
        const test = runs.indexOf("npm test");
        expect(install).toBeGreaterThanOrEqual(0);
        expect(test).toBeGreaterThan(install);
        const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
        expect(pkg.scripts.test).toBeTruthy();
        const node = allSteps(wf).find((s) => s.uses?.startsWith("actions/setup-node@"));
        expect(node?.with?.["node-version"]).toBe(20);
    });

    it("runs the end-to-end half of test:all as root after the same setup as .ci/run", () => {
        const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
        expect(pkg.scripts["test:all"]).toBe("npm test && npm run test:e2e");
        const e2e = (wf.jobs.e2e.steps ?? []).map((s) => s.run?.trim()).filter(Boolean);
        expect(e2e).toEqual(["sudo bash scripts/dev-setup.sh", "sudo --preserve-env=PATH npm run test:e2e"]);
        expect(readFileSync(join(root, ".ci/run"), "utf8")).toMatch(/bash scripts\/dev-setup\.sh\nnpm run test:all\n/);
    });
});

describe("lab-up.yml", () => {
    const wf = workflow("lab-up");
    const inputs = inputsOf(wf);

    it("is dispatched by hand with the lab's inputs", () => {
        expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
        expect(inputs.lab).toMatchObject({ type: "string", required: true });
        expect(inputs.orchestrator).toMatchObject({ type: "choice", required: true, options: ["swarm", "kubernetes"] });
        expect(inputs.orchestrator.default).toBe(DEFAULTS.orchestrator);
        expect(inputs.managers).toMatchObject({ type: "choice", required: true });
        expect(inputs.managers.options?.every((m) => Number(m) % 2 === 1)).toBe(true);
        expect(inputs.managers.default).toBe(String(DEFAULTS.managers));
        expect(inputs.workers).toMatchObject({ type: "number", required: true, default: DEFAULTS.workers });
        expect(inputs.ttl_hours).toMatchObject({ type: "number", required: true, default: DEFAULTS.ttlHours });
        expect(inputs.spot).toMatchObject({ type: "boolean", default: DEFAULTS.spot });
        expect(inputs.instance_type).toMatchObject({ type: "string", default: DEFAULTS.instanceType });
        expect(inputs.allowed_cidr).toMatchObject({ type: "string", default: "auto" });
    });

    it("runs pulumi up through pulumi/actions on the stack named after the lab, created if missing", () => {
        const up = step(wf, "up");
        expect(up.uses).toBe("pulumi/actions@v6");
        expect(up.with).toMatchObject({
            command: "up", "stack-name": "${{ inputs.lab }}", upsert: true, refresh: true, "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        });
        const config = step(wf, "config").run ?? "";
        expect(config).toContain('pulumi stack select --create "$LAB"');
        for (const key of ["aws:region", "lab:orchestrator", "lab:managers", "lab:workers", "lab:ttlHours", "lab:spot", "lab:instanceType", "lab:allowedCidr"]) {
            expect(config).toContain(` ${key} "$`);
        }
        // The steps run in order: check, config, up, summary, smoke.
        const ids = allSteps(wf).map((s) => s.id ?? s.name);
        expect(ids.indexOf("check")).toBeLessThan(ids.indexOf("config"));
        expect(ids.indexOf("config")).toBeLessThan(ids.indexOf("up"));
        expect(ids.indexOf("up")).toBeLessThan(ids.indexOf("summary"));
    });

    const checkEnv = (over: Record<string, string> = {}) => ({
        LAB: "alice", ORCHESTRATOR: "swarm", MANAGERS: "1", WORKERS: "2", TTL_HOURS: "8", INSTANCE_TYPE: "t3.small",
        ALLOWED_CIDR: "auto", PULUMI_BACKEND_URL: "s3://labs-state", PULUMI_CONFIG_PASSPHRASE: "x",
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/cluster-lab-ci", AWS_REGION: "ap-northeast-2", ...over,
    });

    it("accepts good inputs and rejects bad ones before touching anything", () => {
        const check = step(wf, "check");
        expect(runStep(check, checkEnv()).status).toBe(0);
        expect(runStep(check, checkEnv({ LAB: "pr-42", MANAGERS: "3", WORKERS: "0", TTL_HOURS: "720" })).status).toBe(0);
        const bad: [Record<string, string>, RegExp][] = [
            [{ LAB: "Alice" }, /lab 'Alice'/],
            [{ LAB: "alice_1" }, /lab 'alice_1'/],
            [{ LAB: "-alice" }, /lab '-alice'/],
            [{ LAB: "x".repeat(41) }, /lab 'x+'/],
            [{ LAB: "a;rm -rf" }, /lab 'a;rm -rf'/],
            [{ MANAGERS: "2" }, /managers '2'/],
            [{ WORKERS: "51" }, /workers '51'/],
            [{ WORKERS: "-1" }, /workers '-1'/],
            [{ TTL_HOURS: "0" }, /ttl_hours '0'.*always expires/],
            [{ TTL_HOURS: "1.5" }, /ttl_hours '1.5'/],
            [{ ALLOWED_CIDR: "everyone" }, /allowed_cidr 'everyone'/],
            [{ INSTANCE_TYPE: "small" }, /instance_type 'small'/],
            [{ PULUMI_BACKEND_URL: "" }, /PULUMI_BACKEND_URL is not set/],
            [{ AWS_ROLE_ARN: "" }, /AWS_ROLE_ARN is not set/],
            [{ PULUMI_CONFIG_PASSPHRASE: "" }, /PULUMI_CONFIG_PASSPHRASE is not set/],
        ];
        for (const [over, message] of bad) {
            const r = runStep(check, checkEnv(over));
            expect(r.status, JSON.stringify(over)).toBe(1);
            expect(r.stdout, JSON.stringify(over)).toMatch(/^::error title=lab-up::/m);
            expect(r.stdout, JSON.stringify(over)).toMatch(message);
        }
        // Pulumi Cloud (https backend) keeps secrets itself: no passphrase needed.
        expect(runStep(check, checkEnv({ PULUMI_BACKEND_URL: "https://api.pulumi.com", PULUMI_CONFIG_PASSPHRASE: "" })).status).toBe(0);
    });

    it("writes the node table, URLs, SSH hints and expiry to the job summary, and no secret", () => {
        const summaryStep = step(wf, "summary");
        expect(summaryStep.if).toBe("steps.up.outcome == 'success'");
        const r = runStep(summaryStep, { LAB: "alice" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.summary).toContain("## Lab `alice` is up");
        expect(r.summary).toContain("| swarm-manager1 | manager | 203.0.113.10 | 10.42.1.10 |");
        expect(r.summary).toContain("| swarm-worker2 | worker | 203.0.113.12 | 10.42.1.12 |");
        expect(r.summary).toContain("- <http://203.0.113.11:8001>");
        expect(r.summary).toContain("ssh -i alice.pem admin@203.0.113.12");
        expect(r.summary).toContain("Expires **2026-03-10T09:30:12Z**");
        expect(r.summary).not.toMatch(/\[secret\]|BEGIN OPENSSH|privateKey/);
        // Each plain output is read by name: never the whole object, never --show-secrets.
        const outputs = r.calls.filter((c) => c.startsWith("stack output"));
        expect(outputs.map((c) => c.split(" ")[4]).sort()).toEqual(["expiresAt", "nginxUrls", "nodes", "sshCommands"]);
        expect(outputs.every((c) => c.includes("--stack alice") && c.endsWith("--json"))).toBe(true);
    });

    it("says so in the summary when a lab has no expiry", () => {
        const r = runStep(step(wf, "summary"), { LAB: "carol" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.summary).toMatch(/No expiry: the lab-sweeper will not destroy it/);
    });

    it("runs scripts/smoke.sh on every nginx URL of the new lab (when the runner may reach it)", () => {
        const smoke = allSteps(wf).find((s) => s.run?.includes("scripts/smoke.sh"));
        expect(smoke?.if).toBe("steps.up.outcome == 'success' && inputs.allowed_cidr == 'auto'");
        // Run it in a checkout whose smoke.sh only records its arguments.
        const checkout = join(work, "smoke-checkout");
        mkdirSync(join(checkout, "scripts"), { recursive: true });
        const args = join(checkout, "args");
        writeFileSync(join(checkout, "scripts", "smoke.sh"), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" >"${args}"\necho "smoke: all $# URLs answered"\n`);
        chmodSync(join(checkout, "scripts", "smoke.sh"), 0o755);
        const r = runStep(smoke ?? {}, { LAB: "alice" }, checkout);
        expect(r.status, r.stderr).toBe(0);
        expect(readFileSync(args, "utf8").split("\n").filter(Boolean))
            .toEqual(["http://203.0.113.10:8001", "http://203.0.113.11:8001", "http://203.0.113.12:8001"]);
        expect(r.summary).toContain("smoke: all 3 URLs answered");
        // A failing smoke test fails the step.
        writeFileSync(join(checkout, "scripts", "smoke.sh"), "#!/usr/bin/env bash\necho 'smoke: no answer from swarm-worker1' >&2\nexit 1\n");
        expect(runStep(smoke ?? {}, { LAB: "alice" }, checkout).status).not.toBe(0);
        expect(existsSync(join(root, "scripts", "smoke.sh"))).toBe(true);
    });

    it("destroys a half-built lab when pulumi up fails, unless asked to keep it", () => {
        const cleanup = step(wf, "cleanup");
        expect(cleanup.if).toBe("failure() && steps.up.outcome == 'failure' && inputs.destroy_on_failure");
        expect(cleanup.with).toMatchObject({ command: "destroy", "stack-name": "${{ inputs.lab }}" });
        expect(inputs.destroy_on_failure).toMatchObject({ type: "boolean", default: true });
    });
});

describe("lab-destroy.yml", () => {
    const wf = workflow("lab-destroy");

    it("is dispatched by lab name", () => {
        expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
        expect(inputsOf(wf)).toEqual({ lab: expect.objectContaining({ type: "string", required: true }) });
    });

    it("runs pulumi destroy through pulumi/actions, then pulumi stack rm", () => {
        const steps = allSteps(wf);
        const destroy = steps.findIndex((s) => s.uses === "pulumi/actions@v6" && s.with?.command === "destroy");
        const rm = steps.findIndex((s) => /pulumi stack rm --yes "\$LAB"/.test(s.run ?? ""));
        expect(destroy).toBeGreaterThan(0);
        expect(steps[destroy].with?.["stack-name"]).toBe("${{ inputs.lab }}");
        expect(rm).toBeGreaterThan(destroy);
    });

    it("refuses a lab that does not exist, and bad names", () => {
        const exists = step(wf, "exists");
        expect(runStep(exists, { LAB: "alice", PULUMI_BACKEND_URL: "s3://labs" }).status).toBe(0);
        const missing = runStep(exists, { LAB: "zoe", PULUMI_BACKEND_URL: "s3://labs" });
        expect(missing.status).toBe(1);
        expect(missing.stdout).toMatch(/no lab named 'zoe'/);
        expect(runStep(step(wf, "check"), { LAB: "Zoe Smith" }).status).toBe(1);
        expect(runStep(step(wf, "check"), { LAB: "zoe" }).status).toBe(0);
    });
});

describe("lab-sweeper.yml", () => {
    const wf = workflow("lab-sweeper");

    it("runs on a schedule (and by hand, with a dry run)", () => {
        expect(wf.on.schedule?.[0].cron).toMatch(/^\d+ \* \* \* \*$/); // hourly
        expect(inputsOf(wf).dry_run).toMatchObject({ type: "boolean", default: false });
    });

    it("lists the labs with scripts/expired-labs.sh and hands the expired ones to the destroy jobs", () => {
        const list = step(wf, "list");
        expect(list.run).toContain("scripts/expired-labs.sh");
        const r = runStep(list, { NOW });
        expect(r.status, r.stderr).toBe(0);
        expect(r.output).toContain('expired=["alice","erin","grace"]\n');
        expect(r.output).toContain("problems=1\n"); // dave's malformed expiresAt
        expect(r.summary).toContain("| carol | unlabelled | - | no expiresAt output; not destroyed |");
        expect(r.summary).toContain("| alice | expired | 2026-03-10T09:30:12Z |");
        expect(r.stdout).toMatch(/::warning title=lab without expiry::carol/);
        expect(r.stdout).toMatch(/::error title=lab not swept::dave/);
        expect(wf.jobs.list.outputs?.expired).toBe("${{ steps.list.outputs.expired }}");
    });

    it("destroys nothing when there are no lab stacks", () => {
        const r = runStep(step(wf, "list"), { NOW, FAKE_STACKS: join(fixtures, "stack-ls-empty.json") });
        expect(r.status, r.stderr).toBe(0);
        expect(r.output).toContain("expired=[]\n");
        expect(r.summary).toContain("No lab stacks.");
        expect(wf.jobs.destroy.if).toContain("needs.list.outputs.expired != '[]'");
    });

    it("destroys each expired lab in its own job, after checking again, then removes its stack", () => {
        const destroy = wf.jobs.destroy;
        expect(destroy.needs).toBe("list");
        expect(destroy.strategy?.matrix?.lab).toBe("${{ fromJSON(needs.list.outputs.expired) }}");
        expect(destroy.if).toContain("!inputs.dry_run");
        const recheck = step(wf, "recheck");
        expect(runStep(recheck, { LAB: "alice", NOW }).output).toBe("expired=true\n");
        expect(runStep(recheck, { LAB: "bob", NOW }).output).toBe("expired=false\n");
        expect(runStep(recheck, { LAB: "carol", NOW }).output).toBe("expired=false\n");
        const pulumiDestroy = destroy.steps.find((s) => s.with?.command === "destroy");
        expect(pulumiDestroy?.if).toBe("steps.recheck.outputs.expired == 'true'");
        expect(pulumiDestroy?.with?.["stack-name"]).toBe("${{ matrix.lab }}");
        const rm = destroy.steps.findIndex((s) => s.run?.includes('pulumi stack rm --yes "$LAB"'));
        expect(rm).toBeGreaterThan(destroy.steps.indexOf(pulumiDestroy ?? {}));
        expect(destroy.steps[rm].if).toBe("steps.recheck.outputs.expired == 'true'");
    });
});
