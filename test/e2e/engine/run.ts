// One `pulumi up` or `pulumi destroy` against the local cloud, in a process of its own as the CLI
// runs, inside the network namespace of the address it runs from. `up` runs the real program under
// mocks that stand in for the AWS API only, and decides each resource's step from the saved state
// (plan.ts); `destroy` works from the saved state alone. The result goes to E2E_RESULT.
//
// `up` first runs itself as `preview` in a process of its own, as the CLI previews before every
// update: the program runs as a dry run (pulumi.runtime.isDryRun), each resource is planned against
// the state, no provider is called, new outputs are unknown, and nothing is written; a failed
// preview fails the up before any change (E2E_SKIP_PREVIEW=1: `pulumi up --skip-preview`).
//
// `refresh` drops the instances the cloud no longer has from the state.
//
// Env: E2E_MODE up|preview|refresh|destroy, E2E_CONFIG (JSON lab config), E2E_RESULT (result file),
//      E2E_REPLACE (JSON list of URNs or resource names: `pulumi up --replace`),
//      E2E_FAIL (JSON list of resource names whose Create fails, as a provider error would).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";
import { installRecordingMocks, recorder, runLab, settled } from "../../harness";
import { LocalCloud, typeOfferingsAnswer, ZONE_OFFERINGS } from "../cloud/vms";
import { DeleteRecord, RunResult } from "../timeline";
import { applyIgnoreChanges, deleteDecision, deletionWaves, planStep, Registration } from "./plan";
import { create, ProviderContext, remove, resourceName, update } from "./providers";
import { SECRET_OUTPUTS } from "./schema";
import { isRuntimeSecret, loadResources, readCheckpoint, secret, STACK_TYPE, stackUrn, StateResource, writeCheckpoint } from "./state";

const PROJECT = "cluster-lab";
const STACK = "dev";
const cloud = new LocalCloud();
const engineDir = path.join(cloud.stateDir, "engine");
export const CHECKPOINT = path.join(engineDir, "checkpoint.json");
fs.mkdirSync(engineDir, { recursive: true, mode: 0o700 });

const started = Date.now();
const mode = process.env.E2E_MODE ?? "up";
const dryRun = mode === "preview";
const ctx: ProviderContext = { cloud, engineDir, started, commands: [], instancesCreated: {} };
const list = (env: string | undefined): string[] => (env ? (JSON.parse(env) as string[]) : []);
const replaceTargets = list(process.env.E2E_REPLACE);
const injectedFailures = new Set(list(process.env.E2E_FAIL));

const failures: string[] = [];
const fail = (message: string) => {
    if (!failures.includes(message)) failures.push(message);
};
// A failed resource also rejects promises nothing awaits (the SDK's own): record them all, as the
// CLI reports every failed resource, and never let Node end the run before it is written down.
process.on("unhandledRejection", (err) => fail(err instanceof Error ? err.message : String(err)));
process.on("uncaughtException", (err) => fail(`uncaught: ${err.stack ?? err.message}`));

const previous = loadResources(readCheckpoint(CHECKPOINT));
const previousStack = previous.find((r) => r.type === STACK_TYPE);
const previousLive = new Map(previous.filter((r) => !r.delete && r.type !== STACK_TYPE).map((r) => [r.urn, r]));
const pendingDeletes = previous.filter((r) => r.delete);

const registrations = new Map<string, Registration>();
const current = new Map<string, StateResource>();
const oldHalves: StateResource[] = [];
const replaced = new Set<string>();
const operations: NonNullable<RunResult["operations"]> = [];
const deleted: DeleteRecord[] = [];

function toState(
    reg: Registration,
    id: string | undefined,
    inputs: Record<string, unknown>,
    outputs: Record<string, unknown>,
    old?: StateResource,
): StateResource {
    const secretOutputs = new Set([
        ...reg.additionalSecretOutputs,
        ...(SECRET_OUTPUTS[reg.type] ?? []),
        ...Object.entries(inputs)
            .filter(([, v]) => isRuntimeSecret(v))
            .map(([k]) => k),
    ]);
    const marked = Object.fromEntries(
        Object.entries(outputs).map(([k, v]) => [k, secretOutputs.has(k) && !isRuntimeSecret(v) ? secret(v) : v]),
    );
    const now = new Date().toISOString();
    return {
        urn: reg.urn,
        custom: reg.custom,
        ...(reg.custom ? { id } : {}),
        type: reg.type,
        inputs,
        outputs: marked,
        parent: reg.parent,
        dependencies: reg.dependencies,
        ...(reg.deletedWith ? { deletedWith: reg.deletedWith } : {}),
        ...(reg.retainOnDelete ? { retainOnDelete: true } : {}),
        additionalSecretOutputs: reg.additionalSecretOutputs,
        ignoreChanges: reg.ignoreChanges,
        replaceOnChanges: reg.replaceOnChanges,
        deleteBeforeReplace: reg.deleteBeforeReplace,
        replaceWith: reg.replaceWith,
        created: old?.created ?? now,
        modified: now,
    };
}

/** Deletes in reverse dependency order; what cannot be deleted stays, with what it depends on. */
async function deleteAll(resources: StateResource[], markPending: boolean): Promise<StateResource[]> {
    const deleting = new Set(resources.map((r) => r.urn));
    const kept: StateResource[] = [];
    for (const wave of deletionWaves(resources)) {
        await Promise.all(
            wave.map(async (resource) => {
                const name = resourceName(resource.urn);
                const blockedBy = kept.find((k) => k.dependencies.includes(resource.urn) || k.parent === resource.urn);
                if (blockedBy) {
                    kept.push(markPending ? { ...resource, delete: true } : resource);
                    return;
                }
                const decision = deleteDecision(resource, deleting);
                try {
                    if (decision === "delete" && resource.custom) await remove(ctx, resource);
                    deleted.push({
                        name,
                        type: resource.type,
                        at: Date.now() - started,
                        ...(decision !== "delete" ? { skipped: decision } : {}),
                    });
                    operations.push({
                        urn: resource.urn,
                        name,
                        type: resource.type,
                        op: "delete",
                        ...(decision !== "delete" ? { reasons: [decision] } : {}),
                    });
                } catch (err) {
                    kept.push(markPending ? { ...resource, delete: true } : resource);
                    deleted.push({ name, type: resource.type, at: Date.now() - started, error: (err as Error).message });
                    fail(`delete ${name}: ${(err as Error).message}`);
                }
            }),
        );
    }
    return kept;
}

async function step(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const reg = registrations.get(`${args.type}::${args.name}`);
    if (!reg) throw new Error(`engine: no registration seen for ${args.type} ${args.name}`);
    const old = previousLive.get(reg.urn);
    if (!reg.custom) {
        current.set(reg.urn, toState(reg, undefined, reg.inputs, {}, old));
        return { id: undefined, state: {} };
    }
    const inputs = applyIgnoreChanges(old?.inputs, reg.inputs, reg.ignoreChanges);
    const plan = planStep(reg, old, inputs, {
        replaceTargets: new Set(replaceTargets.map((t) => (t.startsWith("urn:") ? t : t === reg.name ? reg.urn : t))),
        replaced,
    });
    operations.push({
        urn: reg.urn,
        name: reg.name,
        type: reg.type,
        op: plan.op,
        ...("reasons" in plan ? { reasons: plan.reasons } : {}),
        ...("changed" in plan ? { changed: plan.changed } : {}),
    });
    if (dryRun) return previewStep(reg, old, inputs, plan.op);
    const createNew = async () => {
        if (injectedFailures.has(reg.name)) throw new Error(`${reg.name}: injected provider failure (E2E_FAIL)`);
        return create(ctx, reg.type, reg.urn, inputs);
    };
    try {
        switch (plan.op) {
            case "same":
                current.set(reg.urn, { ...toState(reg, old!.id, inputs, old!.outputs, old), modified: old!.modified });
                return { id: old!.id, state: old!.outputs };
            case "create": {
                const made = await createNew();
                current.set(reg.urn, toState(reg, made.id, inputs, made.outputs));
                return { id: made.id, state: current.get(reg.urn)!.outputs };
            }
            case "update": {
                const outputs = await update(ctx, old!, inputs, plan.changed);
                current.set(reg.urn, toState(reg, old!.id, inputs, outputs, old));
                return { id: old!.id, state: current.get(reg.urn)!.outputs };
            }
            case "replace": {
                if (plan.deleteBeforeReplace) {
                    const kept = await deleteAll([old!], false);
                    if (kept.length > 0) throw new Error(`${reg.name}: could not delete before replacing`);
                } else {
                    oldHalves.push({ ...old!, delete: true });
                }
                previousLive.delete(reg.urn);
                const made = await createNew();
                replaced.add(reg.urn);
                current.set(reg.urn, toState(reg, made.id, inputs, made.outputs));
                return { id: made.id, state: current.get(reg.urn)!.outputs };
            }
        }
    } catch (err) {
        // A failed update keeps the old state; a failed create is not in the state.
        if (plan.op === "update" || plan.op === "same") current.set(reg.urn, old!);
        if (plan.op === "replace" && !plan.deleteBeforeReplace) {
            oldHalves.pop();
            current.set(reg.urn, old!);
        }
        fail((err as Error).message);
        throw err;
    }
}

/**
 * Outputs a provider computes, unknown in a preview until the resource is created (or, for a
 * command, re-run): what the program reads of each type.
 */
const COMPUTED: Record<string, string[]> = {
    "aws:ec2/instance:Instance": ["arn", "privateIp", "publicIp", "privateDns", "publicDns", "instanceState", "primaryNetworkInterfaceId"],
    "aws:ec2/eip:Eip": ["publicIp", "allocationId"],
    "aws:ec2/keyPair:KeyPair": ["keyName", "keyPairId", "fingerprint"],
    "aws:ec2/subnet:Subnet": ["arn"],
    "aws:ec2/vpc:Vpc": ["arn"],
    "aws:ec2/securityGroup:SecurityGroup": ["arn"],
    "command:remote:Command": ["stdout", "stderr"],
    "tls:index/privateKey:PrivateKey": ["privateKeyOpenssh", "publicKeyOpenssh", "privateKeyPem", "publicKeyPem"],
    "time:index/static:Static": ["rfc3339", "unix"],
    "pulumiverse:time/static:Static": ["rfc3339", "unix"],
    "time:index/offset:Offset": ["rfc3339"],
    "pulumiverse:time/offset:Offset": ["rfc3339"],
};

/** A preview's answer: the state for same, inputs over it for an update, unknowns for what is made anew. */
function previewStep(
    reg: Registration,
    old: StateResource | undefined,
    inputs: Record<string, unknown>,
    op: string,
): { id: string | undefined; state: Record<string, unknown> } {
    const unknown = Object.fromEntries((COMPUTED[reg.type] ?? []).map((key) => [key, pulumi.runtime.unknownValue]));
    if (op === "same") return { id: old!.id, state: old!.outputs };
    if (reg.type === "pulumi:index:Stash")
        return { id: old?.id, state: { input: inputs.input, output: op === "update" ? old!.outputs.output : inputs.input } };
    if (op === "update") return { id: old!.id, state: { ...old!.outputs, ...inputs, ...(reg.type === COMMAND_TYPE ? unknown : {}) } };
    return { id: undefined, state: { ...inputs, ...unknown } };
}

const COMMAND_TYPE = "command:remote:Command";

function invoke(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    if (args.token === "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings") {
        if (args.inputs.locationType !== "availability-zone") throw new Error("local cloud: offerings by availability zone only");
        const types: string[] = args.inputs.filters?.find((f: { name: string }) => f.name === "instance-type")?.values ?? [];
        return { id: "local", ...typeOfferingsAnswer(ZONE_OFFERINGS, types) };
    }
    if (args.token === "aws:ec2/getAmi:getAmi") {
        const images = cloud.describeImages({ owners: args.inputs.owners, filters: args.inputs.filters });
        if (images.length === 0) throw new Error("Your query returned no results. Please change your search criteria and try again.");
        if (images.length > 1 && !args.inputs.mostRecent)
            throw new Error(
                "Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.",
            );
        const image = images[0];
        return {
            id: image.id,
            imageId: image.id,
            name: image.name,
            architecture: image.architecture,
            creationDate: image.creationDate,
            ownerId: image.ownerId,
            virtualizationType: image.virtualizationType,
            mostRecent: !!args.inputs.mostRecent,
        };
    }
    return args.inputs;
}

function captureRegistrations(): void {
    const inner = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (this: any, req: any, callback: any) {
        const urn: string = this.newUrn(req.getParent(), req.getType(), req.getName());
        registrations.set(`${req.getType()}::${req.getName()}`, {
            urn,
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>,
            parent: req.getParent() || stackUrn(PROJECT, STACK),
            dependencies: req.getDependenciesList(),
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            deletedWith: req.getDeletedwith() || undefined,
            retainOnDelete: req.getRetainondelete() ?? false,
            replaceWith: req.getReplaceWithList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        });
        return inner.call(this, req, callback);
    };
}

/** What the SDK's language host awaits at the end of a program (internal: absent from its types). */
const waitForRPCs = (runtimeSettings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

/** Resolves once a failure is recorded and no registration has been under way for a while. */
async function failedAndQuiet(): Promise<void> {
    for (let quiet = 0; quiet < 6;) {
        await new Promise((r) => setTimeout(r, 500));
        quiet = failures.length > 0 && recorder.inFlight === 0 ? quiet + 1 : 0;
    }
}

async function up(result: RunResult): Promise<StateResource[]> {
    const leftOver = dryRun ? pendingDeletes : await deleteAll(pendingDeletes, true);
    installRecordingMocks();
    captureRegistrations();
    pulumi.runtime.setMocks({ newResource: step, call: invoke }, PROJECT, STACK, dryRun);
    let stackOutputs: Record<string, unknown> | undefined;
    try {
        const run = await Promise.race([runLab(JSON.parse(process.env.E2E_CONFIG ?? "{}")), failedAndQuiet().then(() => undefined)]);
        // As Pulumi's runtime does before the program ends: wait for every resource the program
        // constructed, those still waiting for their inputs included (none of the outputs needs them).
        if (run) await Promise.race([waitForRPCs(), failedAndQuiet()]);
        if (run) {
            stackOutputs = {};
            for (const [key, output] of Object.entries(run.outputs)) {
                if (output.value === undefined) continue;
                stackOutputs[key] = output.secret ? secret(output.value) : output.value;
                result.outputs[key] = output.secret ? { secret: true } : { secret: false, value: output.value };
            }
        }
    } catch (err) {
        fail((err as Error).message);
    }
    await settled();
    if (dryRun) return previous;
    const registered = new Set(current.keys());
    let kept: StateResource[];
    if (failures.length === 0) {
        // Old halves of replacements and resources the program no longer has, at the end, in reverse dependency order.
        const removed = [...previousLive.values()].filter((r) => !registered.has(r.urn));
        kept = await deleteAll([...oldHalves, ...removed], false);
        kept = kept.map((r) => (oldHalves.some((o) => o === r || (o.urn === r.urn && o.id === r.id)) ? { ...r, delete: true } : r));
    } else {
        // A failed run deletes nothing: what it did not register stays as it was, old halves stay owed.
        kept = [...[...previousLive.values()].filter((r) => !registered.has(r.urn)), ...oldHalves];
    }
    const stack: StateResource = {
        urn: stackUrn(PROJECT, STACK),
        custom: false,
        type: STACK_TYPE,
        inputs: {},
        outputs: failures.length === 0 && stackOutputs ? stackOutputs : (previousStack?.outputs ?? {}),
        dependencies: [],
    };
    result.resources = [...current.values()].map((r) => ({
        urn: r.urn,
        name: resourceName(r.urn),
        type: r.type,
        dependencies: r.dependencies,
    }));
    return [stack, ...current.values(), ...kept, ...leftOver];
}

/**
 * `pulumi refresh`: each resource read back from its provider. An instance AWS no longer has (spot
 * reclaim, expiry, deleted by hand: terminated) leaves the state, as the provider's Read returns
 * nothing for it; one that is there reads back its state and public address (released while
 * stopped, new after a start); everything else reads back as it is saved.
 */
function refresh(): StateResource[] {
    cloud.refresh();
    return previous.flatMap((r) => {
        if (r.type !== INSTANCE_TYPE || !r.id) return [r];
        const record = cloud.instance(r.id);
        if (record) return [{ ...r, outputs: { ...r.outputs, publicIp: record.publicIp, instanceState: record.state } }];
        operations.push({
            urn: r.urn,
            name: resourceName(r.urn),
            type: r.type,
            op: "delete",
            reasons: ["refresh: the instance is terminated"],
        });
        return [];
    });
}

const INSTANCE_TYPE = "aws:ec2/instance:Instance";

async function destroy(): Promise<StateResource[]> {
    const kept = await deleteAll(
        previous.filter((r) => r.type !== STACK_TYPE),
        false,
    );
    return kept.length > 0 && previousStack ? [previousStack, ...kept] : kept;
}

/** `pulumi up`'s preview: this file again, as E2E_MODE=preview, in a process of its own. */
async function preview(): Promise<NonNullable<RunResult["preview"]>> {
    const file = path.join(engineDir, `preview-${process.pid}.json`);
    const begun = Date.now();
    const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [...process.execArgv, __filename], {
            env: { ...process.env, E2E_MODE: "preview", E2E_RESULT: file },
            stdio: ["ignore", "inherit", "inherit"],
        });
        child.on("error", () => resolve(null));
        child.on("close", (c) => resolve(c));
    });
    const ran = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as RunResult) : undefined;
    fs.rmSync(file, { force: true });
    const ok = code === 0 && ran?.ok === true;
    return {
        ok,
        wallMs: Date.now() - begun,
        operations: ran?.operations ?? [],
        ...(ok ? {} : { error: ran?.error ?? `the preview exited ${code} without a result` }),
    };
}

async function main(): Promise<void> {
    const result: RunResult = {
        ok: true,
        mode,
        outputs: {},
        commands: ctx.commands,
        instancesCreated: ctx.instancesCreated,
        deleted,
        operations,
        wallMs: 0,
    };
    let state: StateResource[] = previous;
    try {
        if (mode === "up" && !process.env.E2E_SKIP_PREVIEW) {
            result.preview = await preview();
            if (!result.preview.ok) fail(`preview: ${result.preview.error}`);
        }
        if (failures.length === 0) state = mode === "destroy" ? await destroy() : mode === "refresh" ? refresh() : await up(result);
    } catch (err) {
        fail(`engine: ${(err as Error).stack ?? (err as Error).message}`);
    }
    if (!dryRun) writeCheckpoint(CHECKPOINT, state);
    result.ok = failures.length === 0;
    if (!result.ok) result.error = failures.join("\n");
    result.wallMs = Date.now() - started;
    fs.writeFileSync(process.env.E2E_RESULT ?? path.join(engineDir, "last-run.json"), JSON.stringify(result, null, 1));
    process.exit(result.ok ? 0 : 1);
}

void main();
