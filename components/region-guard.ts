// The region a lab was built in, checked at every later run: without aws:region the provider takes
// the region of the shell (AWS_REGION, the profile), and a run from another shell would plan the
// lab against a region where none of its resources are.
import type * as pulumi from "@pulumi/pulumi";
import { stashGuard } from "./stash-guard";

/** Why this run cannot go on in `now`, or undefined. */
export function changedRegionProblem(built: string | undefined, now: string): string | undefined {
    if (!built || built === now) return undefined;
    return (
        `this lab was built in ${built}, and this run's region is ${now} (aws:region, else AWS_REGION, AWS_DEFAULT_REGION or your AWS profile): ` +
        `every resource of the lab is in ${built}. Pin it: pulumi config set aws:region ${built}`
    );
}

/** The region of the run that built the lab: what waits for it never starts in another region. */
export function regionGuard(region: string): pulumi.Output<pulumi.Resource[]> {
    return stashGuard("lab-region", region, (built) => changedRegionProblem(built, region));
}
