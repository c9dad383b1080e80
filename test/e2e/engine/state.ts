// The engine's state between runs, in the format of `pulumi stack export`: version 3, a deployment
// with a manifest and resources (urn, custom, id, type, inputs, outputs, parent, dependencies,
// deletedWith, retainOnDelete, delete for a pending deletion), secrets as
// `pulumi stack export --show-secrets` prints them, and the stack's outputs on pulumi:pulumi:Stack.
// https://www.pulumi.com/docs/iac/concepts/state-and-backends/  (checkpoint format: apitype.DeploymentV3)
import * as fs from "node:fs";
import * as path from "node:path";

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const STACK_TYPE = "pulumi:pulumi:Stack";

export interface StateResource {
    urn: string;
    custom: boolean;
    id?: string;
    type: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    parent?: string;
    dependencies: string[];
    deletedWith?: string;
    retainOnDelete?: boolean;
    /** A replaced resource's old half, or a resource whose deletion is still owed. */
    delete?: boolean;
    additionalSecretOutputs?: string[];
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    deleteBeforeReplace?: boolean;
    replaceWith?: string[];
    created?: string;
    modified?: string;
}

export interface Checkpoint {
    version: 3;
    deployment: {
        manifest: { time: string; magic: string; version: string };
        secrets_providers: { type: string; state: Record<string, unknown> };
        resources: StateResource[];
    };
}

/** A secret as the language SDK carries it: {SIG_KEY: SECRET_SIG, value}. */
export const isRuntimeSecret = (v: unknown): v is { value: unknown } =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG && "value" in v;
const isStoredSecret = (v: unknown): v is { plaintext: string } =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG && "plaintext" in v;

function mapValues(value: unknown, leaf: (v: unknown) => unknown | undefined): unknown {
    const replaced = leaf(value);
    if (replaced !== undefined) return replaced;
    if (Array.isArray(value)) return value.map((v) => mapValues(v, leaf));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapValues(v, leaf)]));
    }
    return value;
}

/** Runtime secrets -> the stored form: the JSON-encoded value as `plaintext`. */
export function storeSecrets(value: unknown): any {
    return mapValues(value, (v) =>
        isRuntimeSecret(v) ? { [SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify(unwrap(v.value)) } : undefined,
    );
}

/** The stored form -> runtime secrets. */
export function loadSecrets(value: unknown): any {
    return mapValues(value, (v) => (isStoredSecret(v) ? { [SIG_KEY]: SECRET_SIG, value: JSON.parse(v.plaintext) } : undefined));
}

/** Plain values, secrets opened (either form). */
export function unwrap(value: unknown): any {
    return mapValues(value, (v) => (isRuntimeSecret(v) ? unwrap(v.value) : isStoredSecret(v) ? JSON.parse(v.plaintext) : undefined));
}

export const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

export function stackUrn(project: string, stack: string): string {
    return `urn:pulumi:${stack}::${project}::${STACK_TYPE}::${project}-${stack}`;
}

export function emptyCheckpoint(): Checkpoint {
    return {
        version: 3,
        deployment: {
            manifest: { time: new Date().toISOString(), magic: "", version: "cluster-lab-e2e" },
            secrets_providers: { type: "passphrase", state: {} },
            resources: [],
        },
    };
}

export function readCheckpoint(file: string): Checkpoint {
    if (!fs.existsSync(file)) return emptyCheckpoint();
    return JSON.parse(fs.readFileSync(file, "utf8")) as Checkpoint;
}

export function writeCheckpoint(file: string, resources: StateResource[]): void {
    const checkpoint = emptyCheckpoint();
    checkpoint.deployment.resources = resources.map((r) => ({ ...r, inputs: storeSecrets(r.inputs), outputs: storeSecrets(r.outputs) }));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(checkpoint, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
}

/** Resources of a checkpoint with their secrets in runtime form. */
export function loadResources(checkpoint: Checkpoint): StateResource[] {
    return checkpoint.deployment.resources.map((r) => ({ ...r, inputs: loadSecrets(r.inputs), outputs: loadSecrets(r.outputs) }));
}
