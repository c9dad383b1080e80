// lab-up.yml's input check: the workflow's inputs (as environment variables) through the same
// validator `pulumi up` runs, plus what only a lab made from CI needs. Prints one ::error line per
// problem, naming the input, and exits 1; or one line saying the inputs are fine.
//   npx tsx scripts/ci/check-lab-config.ts
import { LabConfigError, parseLabConfig } from "../../components/config";
import { printable } from "../../components/config/shown";

/** The workflow's inputs, by the environment variable the step sets, and the `lab:` key each one sets. */
export const INPUTS = {
    ORCHESTRATOR: { input: "orchestrator", key: "orchestrator" },
    MANAGERS: { input: "managers", key: "managers" },
    WORKERS: { input: "workers", key: "workers" },
    TTL_HOURS: { input: "ttl_hours", key: "ttlHours" },
    SPOT: { input: "spot", key: "spot" },
    INSTANCE_TYPE: { input: "instance_type", key: "instanceType" },
    ALLOWED_CIDR: { input: "allowed_cidr", key: "allowedCidr" },
} as const;

/** A stack name for one lab: what the sweeper and the job names can rely on. */
const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** GitHub's workflow-command escaping, so that a value cannot end the line or start a command. */
const escaped = (text: string) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** An input's value as a problem quotes it: printable, and not a screenful. */
const quoted = (value = "") => `'${printable(value.length > 80 ? `${value.slice(0, 80)}...` : value)}'`;

/** Every problem of these inputs and repository settings, each a sentence naming the input. */
export function labUpProblems(env: NodeJS.ProcessEnv): string[] {
    const problems: string[] = [];
    const lab = env.LAB ?? "";
    if (!LAB_NAME.test(lab))
        problems.push(`lab ${quoted(lab)}: 1 to 40 lowercase letters, digits and dashes, not starting or ending with a dash`);

    const settings: Record<string, string> = {};
    const inputOf: Record<string, string> = {};
    for (const [variable, { input, key }] of Object.entries(INPUTS)) {
        const value = env[variable];
        if (value === undefined || value === "") continue;
        settings[`lab:${key}`] = value;
        inputOf[`lab:${key}`] = input;
    }
    try {
        parseLabConfig(settings, { labName: lab, region: env.AWS_REGION ?? "", regionSource: "repository variable AWS_REGION" });
    } catch (err) {
        if (!(err instanceof LabConfigError)) throw err;
        for (const detail of err.details) {
            if (typeof detail === "string") problems.push(detail);
            else if (detail.key === "aws:region")
                problems.push(`repository variable AWS_REGION ${quoted(detail.value)}: ${detail.why ?? detail.message}`);
            else problems.push(`${inputOf[detail.key] ?? detail.key} ${quoted(detail.value)}: ${detail.why ?? detail.message}`);
        }
    }
    if (env.TTL_HOURS?.trim() === "0") {
        problems.push("ttl_hours '0': 1 to 720; a lab made from CI always expires (lab:ttlHours 0 is for labs you run by hand)");
    }

    if (!env.PULUMI_BACKEND_URL) problems.push("repository variable PULUMI_BACKEND_URL is not set (README, Labs from CI)");
    if (!env.AWS_ROLE_ARN) problems.push("repository variable AWS_ROLE_ARN is not set (README, Labs from CI)");
    if (!env.PULUMI_BACKEND_URL?.startsWith("https://") && !env.PULUMI_CONFIG_PASSPHRASE) {
        problems.push("repository secret PULUMI_CONFIG_PASSPHRASE is not set (README, Labs from CI)");
    }
    return problems;
}

if (require.main === module) {
    const problems = labUpProblems(process.env);
    for (const problem of problems) console.log(`::error title=lab-up::${escaped(problem)}`);
    if (problems.length > 0) process.exit(1);
    const { LAB, ORCHESTRATOR, MANAGERS, WORKERS, TTL_HOURS, AWS_REGION } = process.env;
    console.log(`inputs ok: lab ${LAB}, ${ORCHESTRATOR} ${MANAGERS}+${WORKERS}, ttl ${TTL_HOURS}h, region ${AWS_REGION}`);
}
