// lab-up, lab-destroy and lab-sweeper: their inputs, and their shell steps run for real against the
// fake Pulumi CLI.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMON_KEYS } from "../../components/config/common";
import { ORCHESTRATOR_KEY } from "../../components/config";
import { labUpProblems } from "../../scripts/ci/check-lab-config";
import { allSteps, fixtures, inputsOf, NOW, root, runStep, step, work, workflow } from "../support/workflows";

/** The program's defaults, which the workflow's inputs repeat. */
const DEFAULTS = {
    orchestrator: ORCHESTRATOR_KEY.default,
    managers: COMMON_KEYS.managers.default,
    workers: COMMON_KEYS.workers.default,
    ttlHours: COMMON_KEYS.ttlHours.default,
    spot: COMMON_KEYS.spot.default,
    instanceType: COMMON_KEYS.instanceType.default,
};

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
            command: "up",
            "stack-name": "${{ inputs.lab }}",
            upsert: true,
            refresh: true,
            "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        });
        const config = step(wf, "config").run ?? "";
        expect(config).toContain('pulumi stack select --create "$LAB"');
        for (const key of [
            "aws:region",
            "lab:orchestrator",
            "lab:managers",
            "lab:workers",
            "lab:ttlHours",
            "lab:spot",
            "lab:instanceType",
            "lab:allowedCidr",
        ]) {
            expect(config).toContain(` ${key} "$`);
        }
        // The steps run in order: check, config, up, summary, smoke.
        const ids = allSteps(wf).map((s) => s.id ?? s.name);
        expect(ids.indexOf("check")).toBeLessThan(ids.indexOf("config"));
        expect(ids.indexOf("config")).toBeLessThan(ids.indexOf("up"));
        expect(ids.indexOf("up")).toBeLessThan(ids.indexOf("summary"));
    });

    const checkEnv = (over: Record<string, string> = {}) => ({
        LAB: "alice",
        ORCHESTRATOR: "swarm",
        MANAGERS: "1",
        WORKERS: "2",
        TTL_HOURS: "8",
        INSTANCE_TYPE: "t3.small",
        ALLOWED_CIDR: "auto",
        PULUMI_BACKEND_URL: "s3://labs-state",
        PULUMI_CONFIG_PASSPHRASE: "x",
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/cluster-lab-ci",
        AWS_REGION: "ap-northeast-2",
        ...over,
    });

    it("checks the inputs with the program's own validator, after npm ci and before any credential or stack", () => {
        const check = step(wf, "check");
        expect(check.run?.trim()).toBe("npx tsx scripts/ci/check-lab-config.ts");
        const names = allSteps(wf).map((s) => s.id ?? s.name ?? s.uses);
        expect(names.indexOf("Install the program")).toBeLessThan(names.indexOf("check"));
        expect(names.indexOf("check")).toBeLessThan(names.indexOf("aws-actions/configure-aws-credentials@v4"));
        expect(Object.keys(check.env ?? {}).sort()).toEqual([
            "ALLOWED_CIDR",
            "AWS_ROLE_ARN",
            "INSTANCE_TYPE",
            "MANAGERS",
            "ORCHESTRATOR",
            "SPOT",
            "TTL_HOURS",
            "WORKERS",
        ]);
    });

    const GOOD: Record<string, string>[] = [
        {},
        { LAB: "pr-42", MANAGERS: "3", WORKERS: "0", TTL_HOURS: "720" },
        { ORCHESTRATOR: "kubernetes", MANAGERS: "3", SPOT: "true", INSTANCE_TYPE: "t3.medium", ALLOWED_CIDR: "203.0.113.0/24" },
        // Pulumi Cloud (https backend) keeps secrets itself: no passphrase needed.
        { PULUMI_BACKEND_URL: "https://api.pulumi.com", PULUMI_CONFIG_PASSPHRASE: "" },
    ];
    const BAD: [Record<string, string>, RegExp][] = [
        [{ LAB: "Alice" }, /^lab 'Alice'/],
        [{ LAB: "alice_1" }, /^lab 'alice_1'/],
        [{ LAB: "-alice" }, /^lab '-alice'/],
        [{ LAB: "x".repeat(41) }, /^lab 'x+'/],
        [{ LAB: "a;rm -rf" }, /^lab 'a;rm -rf'/],
        [{ MANAGERS: "2" }, /^managers '2': must be odd/],
        [{ ORCHESTRATOR: "kubernetes", MANAGERS: "5" }, /^managers '5': must be 1 or 3 with lab:orchestrator kubernetes/],
        [{ ORCHESTRATOR: "nomad" }, /^orchestrator 'nomad': must be one of swarm, kubernetes/],
        [{ WORKERS: "51" }, /^workers '51': must be a whole number from 0 to 50/],
        [{ WORKERS: "-1" }, /^workers '-1'/],
        [{ TTL_HOURS: "0" }, /^ttl_hours '0'.*always expires/],
        [{ TTL_HOURS: "1.5" }, /^ttl_hours '1.5'/],
        [{ ALLOWED_CIDR: "everyone" }, /^allowed_cidr 'everyone'/],
        [{ ALLOWED_CIDR: "0.0.0.0/0" }, /^allowed_cidr '0.0.0.0\/0': must be \/16 or narrower/],
        [{ INSTANCE_TYPE: "small" }, /^instance_type 'small'/],
        [{ INSTANCE_TYPE: "t3.smal" }, /^instance_type 't3.smal': .*did you mean t3.small\?/],
        [{ SPOT: "maybe" }, /^spot 'maybe'/],
        [{ AWS_REGION: "xx-nowhere-9" }, /^repository variable AWS_REGION 'xx-nowhere-9': must be an AWS region/],
        [{ PULUMI_BACKEND_URL: "" }, /PULUMI_BACKEND_URL is not set/],
        [{ AWS_ROLE_ARN: "" }, /AWS_ROLE_ARN is not set/],
        [{ PULUMI_CONFIG_PASSPHRASE: "" }, /PULUMI_CONFIG_PASSPHRASE is not set/],
    ];

    // Every case through the function the step runs (scripts/ci/check-lab-config.ts); the step itself
    // runs below on the cases that prove its wiring (each run loads the whole program: seconds apiece).
    it.each(GOOD)("accepts good inputs: %j", (over) => {
        expect(labUpProblems(checkEnv(over))).toEqual([]);
    });

    it.each(BAD)("rejects bad inputs, naming the input: %j", (over, message) => {
        const problems = labUpProblems(checkEnv(over));
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(message);
    });

    it("runs the step: good inputs pass, bad ones fail with one ::error line per problem, before touching anything", () => {
        const ok = runStep(step(wf, "check"), checkEnv());
        expect(ok.status, ok.stdout + ok.stderr).toBe(0);
        expect(ok.stdout).toContain("inputs ok: lab alice, swarm 1+2, ttl 8h, region ap-northeast-2");
        const bad = runStep(step(wf, "check"), checkEnv({ MANAGERS: "2", WORKERS: "51", INSTANCE_TYPE: "t3.smal", AWS_ROLE_ARN: "" }));
        expect(bad.status, bad.stdout + bad.stderr).toBe(1);
        expect(
            bad.stdout
                .split("\n")
                .filter(Boolean)
                .map((line) => line.replace(/: .*/, "")),
        ).toEqual([
            "::error title=lab-up::workers '51'",
            "::error title=lab-up::instance_type 't3.smal'",
            "::error title=lab-up::managers '2'",
            "::error title=lab-up::repository variable AWS_ROLE_ARN is not set (README, Labs from CI)",
        ]);
        expect(bad.calls).toEqual([]);
    });

    it("keeps a value from starting a workflow command of its own", () => {
        const r = runStep(step(wf, "check"), checkEnv({ LAB: "x\n::add-mask::secret%" }));
        expect(r.status).toBe(1);
        expect(r.stdout.split("\n").filter((line) => line.startsWith("::"))).toEqual([
            "::error title=lab-up::lab 'x\\u000a::add-mask::secret%25': " +
                "1 to 40 lowercase letters, digits and dashes, not starting or ending with a dash",
        ]);
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

    it("runs scripts/operator/smoke.sh on every nginx URL of the new lab (when the runner may reach it)", () => {
        const smoke = allSteps(wf).find((s) => s.run?.includes("scripts/operator/smoke.sh"));
        expect(smoke?.if).toBe("steps.up.outcome == 'success' && inputs.allowed_cidr == 'auto'");
        // Run it in a checkout whose smoke.sh only records its arguments.
        const checkout = join(work, "smoke-checkout");
        mkdirSync(join(checkout, "scripts", "operator"), { recursive: true });
        const args = join(checkout, "args");
        writeFileSync(
            join(checkout, "scripts", "operator", "smoke.sh"),
            `#!/usr/bin/env bash\nprintf '%s\\n' "$@" >"${args}"\necho "smoke: all $# URLs answered"\n`,
        );
        chmodSync(join(checkout, "scripts", "operator", "smoke.sh"), 0o755);
        const r = runStep(smoke ?? {}, { LAB: "alice" }, checkout);
        expect(r.status, r.stderr).toBe(0);
        expect(readFileSync(args, "utf8").split("\n").filter(Boolean)).toEqual([
            "http://203.0.113.10:8001",
            "http://203.0.113.11:8001",
            "http://203.0.113.12:8001",
        ]);
        expect(r.summary).toContain("smoke: all 3 URLs answered");
        // A failing smoke test fails the step.
        writeFileSync(
            join(checkout, "scripts", "operator", "smoke.sh"),
            "#!/usr/bin/env bash\necho 'smoke: no answer from swarm-worker1' >&2\nexit 1\n",
        );
        expect(runStep(smoke ?? {}, { LAB: "alice" }, checkout).status).not.toBe(0);
        expect(existsSync(join(root, "scripts", "operator", "smoke.sh"))).toBe(true);
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

    it("lists the labs with scripts/ci/expired-labs.sh and hands the expired ones to the destroy jobs", () => {
        const list = step(wf, "list");
        expect(list.run).toContain("scripts/ci/expired-labs.sh");
        const r = runStep(list, { NOW });
        expect(r.status, r.stderr).toBe(0);
        expect(r.output).toContain('expired=["alice","erin","frank","grace"]\n');
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
