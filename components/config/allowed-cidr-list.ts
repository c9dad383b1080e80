// lab:allowedCidr as written: which CIDRs it may hold, how wide, and how many the security group takes.
import { VPC_CIDR } from "./addresses";
import { cidrWithin, isIpv4Address, isIpv4Cidr, networkOf, prefixOf, UNREACHABLE_RANGES } from "./cidr";
import { Invalid } from "./keys";
import { fragment } from "./shown";
import { didYouMean } from "./suggest";

/** The widest CIDR allowed without lab:allowWideCidr: a /16 is 65,536 addresses, a campus or a provider's block. */
export const WIDEST_PREFIX = 16;

/** EC2's default quota of inbound rules per security group; each CIDR of each rule counts as one. */
export const INBOUND_RULES_PER_GROUP = 60;

const WHAT = 'must be IPv4 CIDRs such as 203.0.113.7/32, or "auto" for your public address, separated by commas';

function entryProblem(entry: string): string | undefined {
    if (entry === "") return "one of them is empty";
    if (entry === "auto") return undefined;
    const quoted = fragment(entry);
    if (isIpv4Address(entry)) return `${quoted} is an address without its prefix: write ${entry}/32`;
    if (entry.includes(":") && /^[0-9a-f:./]+$/i.test(entry)) return `${quoted} is IPv6, and the lab's security group rules are IPv4`;
    if (!isIpv4Cidr(entry)) {
        const network = networkOf(entry);
        if (network) return `${quoted} has host bits set: its network is ${network}`;
        return `${quoted} is not one (canonical form, no leading zeros)${didYouMean(entry, ["auto"], (c) => `"${c}"`)}`;
    }
    if (cidrWithin(entry, VPC_CIDR))
        return `${quoted} is inside the lab's own VPC (${VPC_CIDR}): packets from the internet never carry these addresses`;
    const unreachable = UNREACHABLE_RANGES.find((r) => cidrWithin(entry, r.cidr));
    if (unreachable) return `${quoted} is ${unreachable.what}: packets from the internet never carry these addresses`;
    return undefined;
}

/** The entries of lab:allowedCidr ("auto" kept for resolveAllowedCidr), or why they cannot be. */
export function parseAllowedCidr(text: string): string[] | Invalid {
    const entries = text.split(",").map((entry) => entry.trim());
    for (const entry of entries) {
        const problem = entryProblem(entry);
        if (problem) return new Invalid(`${WHAT}: ${problem}`);
    }
    const twice = entries.find((entry, i) => entries.indexOf(entry) !== i);
    if (twice) return new Invalid(`${WHAT}, each once: ${fragment(twice)} is listed twice`);
    return entries;
}

/** Why these entries need lab:allowWideCidr, or undefined. */
export function wideCidrProblem(entries: readonly string[]): string | undefined {
    const wide = entries.find((entry) => entry !== "auto" && prefixOf(entry) < WIDEST_PREFIX);
    if (!wide) return undefined;
    const addresses = 2 ** (32 - prefixOf(wide));
    return (
        `must be /${WIDEST_PREFIX} or narrower unless lab:allowWideCidr is true: ${wide} is ${addresses.toLocaleString("en-US")} addresses, ` +
        "and everything the lab opens to allowedCidr (SSH, the published ports; under kubernetes the API and every NodePort) " +
        "opens to all of them. Narrow it, or opt in: pulumi config set lab:allowWideCidr true"
    );
}

/**
 * Why the security group could not hold these entries: every rule open to the operator takes one
 * inbound rule per CIDR. `rules` is the lab's ingress rules, marked by whether they face the operator.
 */
export function ruleCountProblem(entries: readonly string[], rules: readonly { operator: boolean }[]): string | undefined {
    const operatorRules = rules.filter((r) => r.operator).length;
    const needed = operatorRules * entries.length + (rules.length - operatorRules);
    if (needed <= INBOUND_RULES_PER_GROUP) return undefined;
    const most = Math.floor((INBOUND_RULES_PER_GROUP - (rules.length - operatorRules)) / Math.max(operatorRules, 1));
    return (
        `must list at most ${most} entries for this lab: each one takes a security group rule for each of the ${operatorRules} ` +
        `port rules open to allowedCidr, ${needed} in all, and EC2 allows ${INBOUND_RULES_PER_GROUP} inbound rules per security group`
    );
}
