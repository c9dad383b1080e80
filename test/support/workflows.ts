// Running the GitHub workflows' shell steps and the sweeper's script for real, against the fake
// Pulumi CLI (test/stubs/pulumi) serving the recorded JSON of test/fixtures/ci.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { STUBS } from "./sandbox";

export const root = resolve(__dirname, "..", "..");
export const fixtures = join(root, "test", "fixtures", "ci");
/** The clock of the recorded fixtures: alice, erin, frank and grace are past their expiry, bob is not. */
export const NOW = "2026-03-10T12:00:00Z";

export interface Step {
    id?: string;
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
export interface Job {
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
export interface Input {
    description?: string;
    type?: string;
    required?: boolean;
    default?: unknown;
    options?: string[];
}
export interface Workflow {
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

export const WORKFLOWS = ["test", "lab-up", "lab-destroy", "lab-sweeper"] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

export const text = (name: WorkflowName) => readFileSync(join(root, ".github", "workflows", `${name}.yml`), "utf8");
export const workflow = (name: WorkflowName) => parse(text(name)) as Workflow;
export const allSteps = (wf: Workflow) => Object.values(wf.jobs).flatMap((job) => job.steps);
export const runScripts = (wf: Workflow) => allSteps(wf).flatMap((s) => (s.run ? [s.run] : []));
export const inputsOf = (wf: Workflow) => wf.on.workflow_dispatch?.inputs ?? {};

export function step(wf: Workflow, id: string): Step {
    const found = allSteps(wf).find((s) => s.id === id);
    if (!found) throw new Error(`no step with id ${id}`);
    return found;
}

/** A scratch directory per test file, with the fake pulumi on PATH. */
export const work = mkdtempSync(join(tmpdir(), "ci-labs-"));
const fakeBin = join(work, "bin");
mkdirSync(fakeBin);
symlinkSync(join(STUBS, "pulumi"), join(fakeBin, "pulumi"));

let runCount = 0;
export interface Run {
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

export function execute(command: string[], env: Record<string, string>, cwd = root): Run {
    const dir = join(work, `run-${++runCount}`);
    mkdirSync(dir);
    const files = {
        log: join(dir, "pulumi.log"),
        output: join(dir, "output"),
        summary: join(dir, "summary"),
        report: join(dir, "report"),
    };
    for (const f of Object.values(files)) writeFileSync(f, "");
    const result = spawnSync(command[0], command.slice(1), {
        cwd,
        encoding: "utf8",
        env: {
            PATH: `${fakeBin}:${process.env.PATH}`,
            HOME: dir,
            STUB_LOG: files.log,
            FAKE_OUTPUTS: fixtures,
            FAKE_STACKS: join(fixtures, "stack-ls.json"),
            FAKE_REFUSE_SECRETS: "1",
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
export function runStep(s: Step, env: Record<string, string>, cwd = root): Run {
    const file = join(work, `step-${++runCount}.sh`);
    writeFileSync(file, s.run ?? "exit 42");
    return execute(["bash", "--noprofile", "--norc", "-eo", "pipefail", file], env, cwd);
}

/** The sweeper's script on a recorded `pulumi stack ls --json`. */
export const EXPIRED_LABS = join(root, "scripts", "ci", "expired-labs.sh");

export function sweep(stacks: string, env: Record<string, string> = {}) {
    const run = execute(["bash", EXPIRED_LABS], { FAKE_STACKS: join(fixtures, stacks), NOW, ...env });
    const rows = run.report
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("\t"));
    return {
        ...run,
        expired: run.stdout.split("\n").filter(Boolean),
        statusOf: Object.fromEntries(rows.map(([name, status]) => [name, status])) as Record<string, string>,
    };
}
