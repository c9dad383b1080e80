// What the engine does with each resource, as Pulumi decides it; pure functions over state and
// registrations, so they are tested without VMs (plan.test.ts).
// https://www.pulumi.com/docs/iac/concepts/options/ (ignoreChanges, replaceOnChanges,
// deleteBeforeReplace, deletedWith, retainOnDelete, replaceWith) and
// https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/ (create, same, update, replace, delete).
import { isDeepStrictEqual } from "node:util";
import { schemaReplaceKeys, withComputedKept } from "./schema";
import { StateResource, unwrap } from "./state";

export interface Registration {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** Inputs as the SDK sent them (secrets in runtime form). */
    inputs: Record<string, unknown>;
    parent?: string;
    dependencies: string[];
    ignoreChanges: string[];
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    deletedWith?: string;
    retainOnDelete: boolean;
    replaceWith: string[];
    additionalSecretOutputs: string[];
}

export type Step =
    | { op: "create" }
    | { op: "same" }
    | { op: "update"; changed: string[] }
    | { op: "replace"; changed: string[]; reasons: string[]; deleteBeforeReplace: boolean };

export interface PlanContext {
    /** `pulumi up --replace <urn>` targets. */
    replaceTargets: ReadonlySet<string>;
    /** URNs replaced so far in this run (for replaceWith). */
    replaced: ReadonlySet<string>;
}

function getPath(obj: any, path: string[]): unknown {
    return path.reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

function setPath(obj: any, path: string[], value: unknown): void {
    let o = obj;
    for (const k of path.slice(0, -1)) {
        if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
        o = o[k];
    }
    if (value === undefined) delete o[path[path.length - 1]];
    else o[path[path.length - 1]] = value;
}

/** ignoreChanges: the listed properties keep their old values (a new resource takes the new ones). */
export function applyIgnoreChanges(
    oldInputs: Record<string, unknown> | undefined,
    newInputs: Record<string, unknown>,
    ignore: string[],
): Record<string, unknown> {
    if (!oldInputs || ignore.length === 0) return newInputs;
    const result = structuredClone(newInputs);
    for (const property of ignore) {
        const path = property.split(".");
        setPath(result, path, structuredClone(getPath(oldInputs, path)));
    }
    return result;
}

/** Top-level input keys whose (unwrapped) values differ. */
export function changedKeys(oldInputs: Record<string, unknown>, newInputs: Record<string, unknown>): string[] {
    const a = unwrap(oldInputs) as Record<string, unknown>;
    const b = unwrap(newInputs) as Record<string, unknown>;
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !isDeepStrictEqual(a[k], b[k])).sort();
}

/** Create, same, update or replace: the schema's replace properties, replaceOnChanges, --replace and replaceWith. */
export function planStep(reg: Registration, old: StateResource | undefined, inputs: Record<string, unknown>, ctx: PlanContext): Step {
    if (!old) return { op: "create" };
    if (!reg.custom) return { op: "same" };
    const diffed = withComputedKept(reg.type, old.inputs, inputs);
    const changed = changedKeys(old.inputs, diffed);
    const reasons: string[] = [];
    if (ctx.replaceTargets.has(reg.urn)) reasons.push("--replace");
    for (const urn of reg.replaceWith) if (ctx.replaced.has(urn)) reasons.push(`replaceWith ${urn}`);
    // replaceOnChanges paths are property paths (`tags.Market`): only a change at that path replaces.
    const before = unwrap(old.inputs);
    const after = unwrap(diffed);
    const forced = reg.replaceOnChanges.includes("*")
        ? changed
        : reg.replaceOnChanges.filter((p) => !isDeepStrictEqual(getPath(before, p.split(".")), getPath(after, p.split("."))));
    reasons.push(...new Set([...schemaReplaceKeys(reg.type, changed, unwrap(inputs)), ...forced]));
    if (reasons.length > 0) return { op: "replace", changed, reasons, deleteBeforeReplace: reg.deleteBeforeReplace };
    if (changed.length > 0) return { op: "update", changed };
    return { op: "same" };
}

/**
 * Deletion waves: a resource is deleted only after everything in the set that depends on it
 * (dependencies, parent, deletedWith); resources of one wave are independent of each other.
 */
export function deletionWaves(resources: StateResource[]): StateResource[][] {
    const pending = [...resources];
    const waves: StateResource[][] = [];
    const dependsOn = (r: StateResource, target: StateResource) =>
        r !== target && (r.dependencies.includes(target.urn) || r.parent === target.urn || r.deletedWith === target.urn);
    while (pending.length > 0) {
        const wave = pending.filter((r) => !pending.some((other) => dependsOn(other, r) && other.urn !== r.urn));
        // Old and new halves share a URN; among them order does not matter. A cycle would be a bug.
        if (wave.length === 0) throw new Error(`dependency cycle among ${pending.map((r) => r.urn).join(", ")}`);
        waves.push(wave);
        for (const r of wave) pending.splice(pending.indexOf(r), 1);
    }
    return waves;
}

export type DeleteDecision = "delete" | "skip-deleted-with" | "retain";

/**
 * retainOnDelete: dropped from the state, the provider is not called. deletedWith: the provider's
 * Delete is skipped when the named resource is deleted in the same operation.
 */
export function deleteDecision(resource: StateResource, deletingUrns: ReadonlySet<string>): DeleteDecision {
    if (resource.retainOnDelete) return "retain";
    if (resource.deletedWith && deletingUrns.has(resource.deletedWith)) return "skip-deleted-with";
    return "delete";
}
