// A check of what a lab was built with against this run, kept in a pulumi.Stash.
import * as pulumi from "@pulumi/pulumi";

/**
 * A pulumi.Stash keeps `now` from the run that built the lab; every later run compares. The
 * result is for dependsOn: what waits for it never starts when `problem` finds one (the program
 * fails with that RunError), and on the first run nothing was recorded to differ.
 */
export function stashGuard<T>(
    name: string,
    now: T,
    problem: (built: T | undefined) => string | undefined,
): pulumi.Output<pulumi.Resource[]> {
    const stash = new pulumi.Stash(name, { input: now });
    return stash.output.apply((built: T | undefined) => {
        const found = problem(built);
        if (found) throw new pulumi.RunError(found);
        return [];
    });
}
