// The region a lab was built in, checked at every later run: without aws:region the provider takes
// the region of the shell (AWS_REGION, the profile), and a run from another shell would plan the
// lab against a region where none of its resources are.
import * as pulumi from "@pulumi/pulumi";

/** Why this run cannot go on in `now`, or undefined. */
export function changedRegionProblem(built: string | undefined, now: string): string | undefined {
    if (!built || built === now) return undefined;
    return (
        `this lab was built in ${built}, and this run's region is ${now} (aws:region, else AWS_REGION, AWS_DEFAULT_REGION or your AWS profile): ` +
        `every resource of the lab is in ${built}. Pin it: pulumi config set aws:region ${built}`
    );
}

/**
 * A pulumi.Stash keeps the region of the run that built the lab. The result is for dependsOn: what
 * waits for it never starts in another region (the program fails with a RunError naming both).
 */
export function regionGuard(region: string): pulumi.Output<pulumi.Resource[]> {
    const stash = new pulumi.Stash("lab-region", { input: region });
    return stash.output.apply((built: string | undefined) => {
        const problem = changedRegionProblem(built, region);
        if (problem) throw new pulumi.RunError(problem);
        return [];
    });
}
