// The lab's configuration: the common keys, then the chosen orchestrator's keys and rules, every
// problem collected and reported at once, before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import type { OrchestratorLab } from "../orchestrator";
import { ORCHESTRATOR_NAMES, ORCHESTRATORS, OrchestratorName } from "../orchestrators";
import { ruleCountProblem } from "./allowed-cidr-list";
import { AddressLookup, resolveAllowedCidr } from "./allowed-cidr";
import { COMMON_KEYS, CommonConfig, LabEnvironment, readCommon } from "./common";
import { LabConfigError } from "./errors";
import { choice, Invalid, labValues, Problems, Settings } from "./keys";
import { AWS_CONFIG_KEYS, unknownKeyProblems } from "./known-keys";
import { fragment } from "./shown";
import { environmentRegion, regionProblem, SET_REGION } from "./region";

export { LabConfigError } from "./errors";
export { resolveAllowedCidr } from "./allowed-cidr";
export type { LabEnvironment, CommonConfig } from "./common";
export type { Settings } from "./keys";

export const ORCHESTRATOR_KEY = choice({
    default: "swarm" as OrchestratorName,
    choices: ORCHESTRATOR_NAMES,
    meaning: "which cluster to form",
});

/** Every `lab:` key any lab reads. */
export const LAB_KEYS: readonly string[] = [
    ...new Set(["orchestrator", ...Object.keys(COMMON_KEYS), ...Object.values(ORCHESTRATORS).flatMap((o) => Object.keys(o.keys))]),
];

/** The region from aws:region, else from the environment; a problem when there is none or it is not a region. */
function readRegion(settings: Settings, env: LabEnvironment, problems: Problems): string {
    const configured = settings["aws:region"]?.trim();
    const region = configured || env.region;
    const source = configured ? "aws:region" : (env.regionSource ?? "the AWS region");
    if (!region) {
        problems.add(
            `aws:region is not set, and neither AWS_REGION, AWS_DEFAULT_REGION nor your AWS profile gives a region: set one: ${SET_REGION}`,
            "aws:region",
        );
        return "";
    }
    const problem = regionProblem(region);
    if (problem) problems.add(`${source} is ${fragment(region)}: ${problem}`, "aws:region", { value: region, why: problem });
    return region;
}

/** Keys of another orchestrator than the chosen one: each an error, since this lab would ignore it. */
function foreignKeyProblems(settings: Settings, chosen: OrchestratorName, problems: Problems): void {
    for (const [owner, orchestrator] of Object.entries(ORCHESTRATORS)) {
        if (owner === chosen) continue;
        for (const key of Object.keys(orchestrator.keys).filter((k) => !(k in ORCHESTRATORS[chosen].keys))) {
            const value = labValues(settings)(key)?.trim();
            if (value !== undefined) {
                problems.bad(
                    key,
                    value,
                    `applies to lab:orchestrator ${owner} only, and this lab is ${chosen}; remove it (pulumi config rm lab:${key})`,
                );
            }
        }
    }
}

/**
 * Every key and rule at once; throws one LabConfigError listing each problem, one per mistake. A
 * refused lab:orchestrator still reports the common keys' and the region's own problems.
 */
export function parseLab(settings: Settings, env: LabEnvironment): OrchestratorLab {
    const problems = new Problems();
    const raw = labValues(settings);
    unknownKeyProblems(settings, { lab: LAB_KEYS, aws: AWS_CONFIG_KEYS }, problems);
    const text = raw("orchestrator")?.trim();
    const chosen = text === undefined ? ORCHESTRATOR_KEY.default : ORCHESTRATOR_KEY.parse(text);
    if (chosen instanceof Invalid) problems.bad("orchestrator", text!, chosen.why);
    const region = readRegion(settings, env, problems);
    const common = readCommon(raw, { ...env, region }, problems);
    if (chosen instanceof Invalid) throw new LabConfigError(problems.all); // no orchestrator to check the rest against

    foreignKeyProblems(settings, chosen, problems);
    const lab = ORCHESTRATORS[chosen].configure(common, raw, problems);
    // The security group's size depends on many keys: judged only when every one of them is valid.
    const rules = lab.ports
        .map((rule) => ({ operator: rule.source === "operator" }))
        .concat(common.loadBalancer ? [{ operator: false }] : []);
    const tooMany = problems.all.length === 0 && ruleCountProblem(common.allowedCidrs, rules);
    if (tooMany) problems.bad("allowedCidr", raw("allowedCidr")!.trim(), tooMany);
    if (problems.all.length > 0) throw new LabConfigError(problems.all);
    return lab;
}

/** The validated configuration alone (tests, the workflow's input check). */
export function parseLabConfig(settings: Settings, env: LabEnvironment): CommonConfig & { orchestrator: string } {
    return parseLab(settings, env).config;
}

/** Where this program runs: the stack, the region the AWS environment gives, the SSH agent. */
export function labEnvironment(settings: Settings, env: NodeJS.ProcessEnv = process.env): LabEnvironment {
    const region = environmentRegion(settings, env);
    return { labName: pulumi.getStack(), region: region?.region ?? "", regionSource: region?.source, sshAgentSocket: env.SSH_AUTH_SOCK };
}

/** The stack's configuration, validated, with allowedCidr resolved against this machine's address. */
export async function loadLab(lookup?: AddressLookup): Promise<OrchestratorLab> {
    const settings: Settings = pulumi.runtime.allConfig();
    const parsed = parseLab(settings, labEnvironment(settings));
    const common = await resolveAllowedCidr(parsed.config, lookup);
    return ORCHESTRATORS[parsed.config.orchestrator as OrchestratorName].configure(common, labValues(settings), new Problems());
}
