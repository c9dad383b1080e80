// What the local engine (test/e2e/engine/plan.ts) would do with the resources of a second run of
// the program, given the first run's as its state: the step and the inputs that step sends.
import { applyIgnoreChanges, planStep, Registration, Step } from "../e2e/engine/plan";
import { LabRun, unwrapSecrets } from "../harness";

export interface PlannedStep {
    op: Step["op"];
    /** The inputs the create, update or replacement gets (secrets unwrapped). */
    inputs: Record<string, any>;
}

/** Steps by resource name for the resources of `type` in `next`; `replaceTargets` are names (`pulumi up --replace`). */
export function secondRunSteps(first: LabRun, next: LabRun, type: string, replaceTargets: string[] = []): Record<string, PlannedStep> {
    return Object.fromEntries(
        next.ofType(type).map((r) => {
            const old = first.resources.find((o) => o.urn === r.urn);
            const registration: Registration = {
                urn: r.urn,
                type: r.type,
                name: r.name,
                custom: true,
                inputs: r.rawInputs,
                dependencies: r.dependencies,
                ignoreChanges: r.options.ignoreChanges,
                replaceOnChanges: r.options.replaceOnChanges,
                deleteBeforeReplace: r.options.deleteBeforeReplace ?? false,
                retainOnDelete: r.options.retainOnDelete ?? false,
                replaceWith: r.options.replaceWith,
                additionalSecretOutputs: [],
            };
            const inputs = applyIgnoreChanges(old?.rawInputs, r.rawInputs, r.options.ignoreChanges);
            const state = old && {
                urn: old.urn,
                custom: true,
                id: `${old.name}-id`,
                type: old.type,
                inputs: old.rawInputs,
                outputs: old.state,
                dependencies: old.dependencies,
            };
            const step = planStep(registration, state, inputs, {
                replaceTargets: new Set(replaceTargets.map((name) => next.byName(name).urn)),
                replaced: new Set(),
            });
            return [r.name, { op: step.op, inputs: unwrapSecrets(inputs) as Record<string, any> }];
        }),
    );
}
