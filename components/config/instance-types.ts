// EC2 instance types: the AWS provider's own list, what a lab cannot boot, and the key builder
// every instance-type key uses (lab:instanceType, an orchestrator's per-role types).
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { custom, Invalid, Key } from "./keys";
import { didYouMean } from "./suggest";

export const INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(InstanceType));

/** Families the lab cannot boot, and why. */
const UNBOOTABLE: readonly { family: RegExp; why: string }[] = [
    { family: /^mac/, why: "is a Mac instance: it runs only on a dedicated host and boots macOS, not the lab's Linux images" },
];

/** Why this instance type cannot run a lab node, or undefined. */
export function instanceTypeProblem(text: string): string | undefined {
    if (!INSTANCE_TYPES.has(text)) {
        return `must be an EC2 instance type the AWS provider knows, such as t3.small, t4g.small or m7i.large${didYouMean(text, INSTANCE_TYPES)}`;
    }
    return UNBOOTABLE.find((u) => u.family.test(text))?.why.concat("; choose another type such as t3.small");
}

/** A key whose value is an EC2 instance type from the provider's list, one the lab can boot. */
export function instanceTypeKey(opts: { default: string; meaning: string; shownDefault?: string }): Key<string> {
    return custom({
        ...opts,
        allowed: "an EC2 instance type (the AWS provider's list), not `mac*`",
        parse: (text) => {
            const problem = instanceTypeProblem(text);
            return problem ? new Invalid(problem) : text;
        },
    });
}
