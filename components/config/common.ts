// The keys every lab reads, whatever its orchestrator, with their rules.
import { parseAllowedCidr, wideCidrProblem, WIDEST_PREFIX } from "./allowed-cidr-list";
import { imageReferenceProblem } from "./image-reference";
import { instanceTypeKey } from "./instance-types";
import { choice, custom, flag, integer, Invalid, Problems, RawConfig, readKeys, Values } from "./keys";
import { sshPublicKeyProblem } from "./ssh-public-key";

export { SUBNET_CIDR, VPC_CIDR } from "./addresses";

export type OsName = "debian-12" | "ubuntu-24.04";
export const OS_CHOICES: readonly OsName[] = ["debian-12", "ubuntu-24.04"];

/** A parser from a function that names the problem, or none. */
const checkedBy = (problem: (text: string) => string | undefined) => (text: string) => {
    const why = problem(text);
    return why === undefined ? text : new Invalid(why);
};

export const COMMON_KEYS = {
    managers: integer({
        default: 1,
        min: 1,
        max: 7,
        meaning: "managers (Swarm) or control planes (Kubernetes)",
        allowed: "1-7; each orchestrator narrows it",
    }),
    workers: integer({ default: 2, min: 0, max: 50, meaning: "worker nodes" }),
    instanceType: instanceTypeKey({
        default: "t3.small",
        meaning: "the nodes' EC2 type; Graviton types (`t4g.small`, `a1.large`, ...) get arm64 images",
    }),
    os: choice({
        default: "debian-12" as OsName,
        choices: OS_CHOICES,
        meaning: "the image; Debian 12 is the one the end-to-end test boots",
    }),
    allowedCidr: custom({
        default: ["auto"] as string[],
        shownDefault: "auto",
        allowed: `IPv4 CIDRs and \`auto\`, comma-separated; /${WIDEST_PREFIX} or narrower unless \`allowWideCidr\`; no loopback, link-local, multicast, reserved or VPC range`,
        meaning: "who may reach SSH and the published ports; `auto` = this machine's public address /32, looked up at run time",
        parse: parseAllowedCidr,
    }),
    allowWideCidr: flag({
        default: false,
        meaning: `let allowedCidr hold a range wider than /${WIDEST_PREFIX}, up to \`0.0.0.0/0\`: everything the lab opens to allowedCidr opens to all of it`,
    }),
    sshPublicKey: custom({
        default: undefined as string | undefined,
        shownDefault: "(generated)",
        allowed: "one OpenSSH public key line: `ssh-ed25519`, or `ssh-rsa` of 2048-8192 bits",
        meaning: "use your own key instead of a generated one; its private half must be in `ssh-agent` (`SSH_AUTH_SOCK`)",
        parse: checkedBy(sshPublicKeyProblem),
    }),
    nginxImage: custom({
        default: "nginx:1.27",
        allowed: "a Docker image reference `[registry[:port]/]name[:tag][@digest]`",
        meaning: "the sample app's image; change it to roll out an update",
        parse: checkedBy(imageReferenceProblem),
    }),
    nginxReplicas: integer({ default: 3, min: 1, max: 100, meaning: "replicas of the sample nginx" }),
    spot: flag({ default: false, meaning: "one-time spot instances, ~70% cheaper, may be reclaimed (see [Cost](#cost))" }),
    ttl: custom({
        default: 8 * 60,
        shownDefault: "8h",
        allowed: "a duration such as `8h`, `90m`, `2h30m`, up to `720h`; `0` = never",
        meaning:
            "the lab expires at creation + ttl: every node powers itself off and is terminated, and the CI sweeper destroys what is left",
        parse: parseTtl,
    }),
    ttlHours: integer({
        default: 8,
        min: 0,
        max: 720,
        meaning: "the ttl in whole hours (the older form of `lab:ttl`; set one of the two)",
    }),
    sampleApp: flag({ default: true, meaning: "deploy the sample nginx; `false` leaves every port to the course's own commands" }),
    form: choice({
        default: "cluster" as "cluster" | "nodes",
        choices: ["cluster", "nodes"],
        meaning:
            "`nodes`: prepared nodes (engine, packages, names, ports) and no cluster; `nextSteps` prints the commands to form it by hand",
    }),
    loadBalancer: flag({ default: false, meaning: "an AWS Network Load Balancer on port 80 in front of the sample app" }),
};

/** Minutes of a duration such as 8h, 90m or 2h30m; 0 means never. */
function parseTtl(text: string): number | Invalid {
    const m = /^(?:(\d{1,3})h)?(?:(\d{1,5})m)?$/.exec(text);
    const minutes = text === "0" ? 0 : m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
    if (Number.isNaN(minutes) || minutes > 720 * 60)
        return new Invalid("must be a duration such as 8h, 90m or 2h30m, at most 720h, or 0 for never");
    return minutes;
}

export type CommonValues = Values<typeof COMMON_KEYS>;

/** Where and as what the lab runs, besides its `lab:` keys. */
export interface LabEnvironment {
    /** The stack name: one stack is one lab. */
    labName: string;
    /** The region the AWS environment gives when aws:region is not set; "" when it gives none. */
    region: string;
    /** Where that region was read ("AWS_REGION", a profile in a config file). */
    regionSource?: string;
    /** SSH_AUTH_SOCK: the agent that holds the operator's own key (lab:sshPublicKey). */
    sshAgentSocket?: string;
}

export interface CommonConfig extends Omit<CommonValues, "allowedCidr" | "allowWideCidr" | "ttl" | "ttlHours"> {
    /** Minutes from creation to expiry; 0 = never (lab:ttl, or lab:ttlHours). */
    ttlMinutes: number;
    labName: string;
    region: string;
    /** IPv4 CIDRs; "auto" stands for the operator's address until resolveAllowedCidr has looked it up. */
    allowedCidrs: string[];
    /** This machine's public address, when it could be looked up. */
    operatorAddress?: string;
}

/** The common keys and the rules between them; a rule is silent about a key whose value was already refused. */
export function readCommon(raw: RawConfig, env: LabEnvironment & { region: string }, problems: Problems): CommonConfig {
    const { allowedCidr, allowWideCidr, ttl, ttlHours, ...values } = readKeys(COMMON_KEYS, raw, problems);
    if (raw("ttl") !== undefined && raw("ttlHours") !== undefined) {
        problems.bad(
            "ttlHours",
            raw("ttlHours")!.trim(),
            "is the older form of lab:ttl, which is set too: keep one (pulumi config rm lab:ttlHours)",
        );
    }
    const ttlMinutes = raw("ttlHours") !== undefined ? ttlHours * 60 : ttl;
    const wide = !allowWideCidr && !problems.has("allowedCidr") && !problems.has("allowWideCidr") && wideCidrProblem(allowedCidr);
    if (wide) problems.bad("allowedCidr", raw("allowedCidr")!.trim(), wide);
    if (values.sshPublicKey !== undefined && !env.sshAgentSocket) {
        problems.bad(
            "sshPublicKey",
            values.sshPublicKey.slice(0, 24) + "...",
            "is set, so the lab reaches its nodes with your key through ssh-agent, " +
                "but SSH_AUTH_SOCK is not set: start ssh-agent and ssh-add the matching private key",
        );
    }
    return { ...values, ttlMinutes, allowedCidrs: allowedCidr, labName: env.labName, region: env.region };
}
