// The four GitHub workflows' shape, and test.yml: what every workflow must hold to.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allSteps, root, runScripts, text, work, Workflow, workflow, WorkflowName, WORKFLOWS } from "../support/workflows";

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

    it("gives GITHUB_TOKEN to every step that runs pulumi, which downloads the time plugin from GitHub's API", () => {
        const token = "${{ secrets.GITHUB_TOKEN }}";
        const missing: string[] = [];
        const withPulumi = new Set<string>();
        for (const name of WORKFLOWS) {
            const wf = workflow(name);
            for (const [jobName, job] of Object.entries(wf.jobs)) {
                for (const s of job.steps) {
                    const runsPulumi = /\bpulumi\b|lab\.sh|scripts\/ci\//.test(s.run ?? "") || (s.uses ?? "").startsWith("pulumi/actions");
                    if (runsPulumi) withPulumi.add(`${name}/${jobName}`);
                    const env = { ...wf.env, ...job.env, ...s.env };
                    if (runsPulumi && env.GITHUB_TOKEN !== token) missing.push(`${name}/${jobName}/${s.name ?? s.uses}`);
                }
            }
        }
        expect(missing).toEqual([]);
        // Not vacuous: every lab job's pulumi steps were found (test.yml only runs the fake CLIs of test/).
        expect([...withPulumi].sort()).toEqual(["lab-destroy/destroy", "lab-sweeper/destroy", "lab-sweeper/list", "lab-up/up"]);
    });

    it("pins every action to a major version tag", () => {
        const uses = WORKFLOWS.flatMap((n) => allSteps(workflows[n]).flatMap((s) => (s.uses ? [s.uses] : [])));
        expect(uses.length).toBeGreaterThan(10);
        for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
        const actions = new Set(uses.map((u) => u.split("@")[0]));
        expect([...actions].sort()).toEqual([
            "actions/checkout",
            "actions/setup-node",
            "aws-actions/configure-aws-credentials",
            "pulumi/actions",
        ]);
    });

    it("never puts ${{ }} expressions inside run scripts (inputs reach them as environment variables)", () => {
        for (const name of WORKFLOWS) {
            for (const run of runScripts(workflows[name])) expect(run, name).not.toContain("${{");
        }
    });

    it("has shellcheck-clean run scripts", () => {
        const dir = join(work, "shellcheck");
        mkdirSync(dir, { recursive: true });
        const files = WORKFLOWS.flatMap((name) =>
            runScripts(workflows[name]).map((run, i) => {
                const file = join(dir, `${name}-${i}.sh`);
                writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${run}`);
                return file;
            }),
        );
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
                expect(
                    job.steps.some((s) => s.uses?.startsWith("pulumi/actions@")),
                    `${name}.${id}`,
                ).toBe(true);
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
        // The Pulumi SDK needs Node 22, as package.json's engines says.
        expect(node?.with?.["node-version"]).toBe(22);
        expect((pkg as unknown as { engines: { node: string } }).engines.node).toBe(">=22");
    });

    it("runs the end-to-end half of test:all as root after the same setup as .ci/run", () => {
        const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
        expect(pkg.scripts["test:all"]).toBe("npm test && npm run test:e2e");
        const e2e = (wf.jobs.e2e.steps ?? []).map((s) => s.run?.trim()).filter(Boolean);
        expect(e2e).toEqual(["sudo bash scripts/dev/setup.sh", "sudo --preserve-env=PATH npm run test:e2e"]);
        expect(readFileSync(join(root, ".ci/run"), "utf8")).toMatch(/bash scripts\/dev\/setup\.sh\nnpm run test:all\n/);
    });
});
