// The providers' Create, Update and Delete against the local cloud: remote commands over real SSH as
// pulumi-command 1.2.1 runs them, EC2 resources as calls on the local cloud, tls keys as real keys.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_ZONE, LocalCloud, userDataBytes } from "../cloud/vms";
import { keyFileFor, ssh } from "../ssh";
import { CommandRecord } from "../timeline";
import { StateResource, unwrap } from "./state";

export interface ProviderContext {
    cloud: LocalCloud;
    engineDir: string;
    started: number;
    commands: CommandRecord[];
    instancesCreated: Record<string, number>;
}

export interface Created {
    id: string;
    outputs: Record<string, unknown>;
}

export const resourceName = (urn: string) => urn.split("::").pop() ?? urn;
const hex = (n: number) => randomBytes(n).toString("hex");

interface Connection {
    host: string;
    user: string;
    port?: number;
    privateKey?: string;
    hostKey?: string;
    dialErrorLimit?: number;
    perDialTimeout?: number;
}

/** What went wrong on which node and step: every failure names both. */
export class StepFailure extends Error {}

/** Dial (with the provider's retries), then run one command with its stdin; the provider's failure text. */
async function runRemote(
    ctx: ProviderContext,
    name: string,
    urn: string,
    connection: Connection,
    command: string,
    stdin: string,
    kind: "create" | "update" | "delete",
): Promise<{ stdout: string; stderr: string }> {
    const node = /LAB_NODE=(\S+)/.exec(command)?.[1] ?? connection.host;
    const step = /LAB_STEP=(\S+)/.exec(command)?.[1] ?? kind;
    const record: CommandRecord = {
        name,
        urn,
        node,
        step,
        kind: kind === "delete" ? "delete" : "create",
        start: Date.now() - ctx.started,
        dialed: 0,
        end: 0,
        code: 0,
    };
    ctx.commands.push(record);
    const target = {
        host: connection.host,
        user: connection.user,
        keyFile: connection.privateKey ? keyFileFor(ctx.engineDir, connection.privateKey) : undefined,
        hostKey: connection.hostKey,
        connectTimeoutS: connection.perDialTimeout ?? 15,
    };
    const limit = connection.dialErrorLimit ?? 10;
    for (let dials = 1; ; dials++) {
        const probe = await ssh(target, "true", "", 0, ctx.engineDir);
        if (probe.code === 0) break;
        if (limit >= 0 && dials >= limit) {
            record.end = Date.now() - ctx.started;
            record.code = 255;
            throw new StepFailure(
                `${name} (node ${node}, step ${step}): dial ${connection.user}@${connection.host}: after ${dials} failed attempts: ${probe.stderr.trim()}`,
            );
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 1.5 ** dials)));
    }
    record.dialed = Date.now() - ctx.started;
    const result = await ssh(target, command, stdin, 0, ctx.engineDir);
    record.end = Date.now() - ctx.started;
    record.code = result.code;
    if (result.code !== 0) {
        // pulumi-command: fmt.Errorf("%w: running %q:\n%s", err, cmd, stdout+stderr)
        const err = result.error && result.code === 255 ? result.error : `Process exited with status ${result.code}`;
        throw new StepFailure(`${name} (node ${node}, step ${step}): ${err}: running ${JSON.stringify(command)}:\n${result.output}`);
    }
    return { stdout: result.stdout.replace(/\n$/, ""), stderr: result.stderr.replace(/\n$/, "") };
}

function tlsKey(ctx: ProviderContext, algorithm: string): Record<string, string> {
    const file = path.join(ctx.engineDir, `gen-${hex(6)}`);
    const type = algorithm === "RSA" ? ["-t", "rsa", "-b", "4096"] : ["-t", "ed25519"];
    execFileSync("ssh-keygen", ["-q", ...type, "-N", "", "-C", "cluster-lab-e2e", "-f", file]);
    const key = {
        privateKeyOpenssh: fs.readFileSync(file, "utf8"),
        publicKeyOpenssh: fs.readFileSync(`${file}.pub`, "utf8").trim() + "\n",
    };
    fs.rmSync(file);
    fs.rmSync(`${file}.pub`);
    return key;
}

function offsetTime(base: Date, inputs: Record<string, any>): Record<string, unknown> {
    const t = new Date(base);
    t.setUTCFullYear(
        t.getUTCFullYear() + (inputs.offsetYears ?? 0),
        t.getUTCMonth() + (inputs.offsetMonths ?? 0),
        t.getUTCDate() + (inputs.offsetDays ?? 0),
    );
    t.setTime(t.getTime() + ((inputs.offsetHours ?? 0) * 3600 + (inputs.offsetMinutes ?? 0) * 60 + (inputs.offsetSeconds ?? 0)) * 1000);
    const rfc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
    return {
        baseRfc3339: rfc(base),
        rfc3339: rfc(t),
        unix: Math.floor(t.getTime() / 1000),
        year: t.getUTCFullYear(),
        month: t.getUTCMonth() + 1,
        day: t.getUTCDate(),
        hour: t.getUTCHours(),
        minute: t.getUTCMinutes(),
        second: t.getUTCSeconds(),
    };
}

function instanceSpec(inputs: Record<string, any>) {
    return {
        ami: inputs.ami,
        instanceType: inputs.instanceType,
        keyName: inputs.keyName,
        subnetId: inputs.subnetId,
        securityGroupIds: inputs.vpcSecurityGroupIds ?? [],
        userData: userDataBytes(inputs),
        tags: inputs.tags ?? {},
        metadataOptions: inputs.metadataOptions ?? {},
        shutdownBehavior: inputs.instanceInitiatedShutdownBehavior ?? "stop",
    };
}

export async function create(ctx: ProviderContext, type: string, urn: string, rawInputs: Record<string, unknown>): Promise<Created> {
    const inputs = unwrap(rawInputs) as Record<string, any>;
    const name = resourceName(urn);
    switch (type) {
        case "command:remote:Command": {
            const out = inputs.create
                ? await runRemote(ctx, name, urn, inputs.connection, inputs.create, inputs.stdin ?? "", "create")
                : { stdout: "", stderr: "" };
            return { id: `${name}${hex(4)}`, outputs: { ...rawInputs, ...out } };
        }
        case "aws:ec2/instance:Instance": {
            const record = ctx.cloud.runInstance(instanceSpec(inputs));
            ctx.instancesCreated[name] = Date.now() - ctx.started;
            return {
                id: record.id,
                outputs: {
                    ...rawInputs,
                    arn: `arn:aws:ec2:local:000000000000:instance/${record.id}`,
                    privateIp: record.ip,
                    publicIp: record.publicIp,
                    privateDns: `ip-${record.ip.replace(/\./g, "-")}.local`,
                    publicDns: "",
                    instanceState: "running",
                    availabilityZone: ctx.cloud.subnetZone(inputs.subnetId),
                    primaryNetworkInterfaceId: `eni-${hex(8)}`,
                },
            };
        }
        case "aws:ec2/subnet:Subnet":
            return {
                id: ctx.cloud.createSubnet(inputs.cidrBlock, inputs.vpcId, inputs.availabilityZone ?? DEFAULT_ZONE),
                outputs: { ...rawInputs, availabilityZone: inputs.availabilityZone ?? DEFAULT_ZONE },
            };
        case "aws:ec2/securityGroup:SecurityGroup": {
            const id = ctx.cloud.putSecurityGroup(undefined, inputs.ingress ?? []);
            return {
                id,
                outputs: {
                    ...rawInputs,
                    arn: `arn:aws:ec2:local:000000000000:security-group/${id}`,
                    name: inputs.name ?? `${name}-${hex(4)}`,
                },
            };
        }
        case "aws:ec2/keyPair:KeyPair": {
            const keyName = inputs.keyName ?? `${name}-${hex(4)}`;
            ctx.cloud.importKeyPair(keyName, inputs.publicKey);
            return { id: keyName, outputs: { ...rawInputs, keyName, keyPairId: `key-${hex(8)}` } };
        }
        case "tls:index/privateKey:PrivateKey":
            return { id: hex(20), outputs: { ...rawInputs, ...tlsKey(ctx, inputs.algorithm) } };
        case "pulumi:index:Stash":
            // The engine's Stash: `output` is the input at creation, kept until the resource is replaced.
            return { id: hex(8), outputs: { input: rawInputs.input, output: rawInputs.input } };
        case "aws:ec2/eip:Eip": {
            // Locally the EIP is the instance's public address (kept while it runs, not across a stop).
            const instance = inputs.instance ? ctx.cloud.instance(inputs.instance) : undefined;
            return {
                id: `eipalloc-${hex(8)}`,
                outputs: {
                    ...rawInputs,
                    publicIp: instance?.publicIp ?? "",
                    privateIp: instance?.ip ?? "",
                    allocationId: `eipalloc-${hex(8)}`,
                },
            };
        }
        case "time:index/offset:Offset":
        case "pulumiverse:time/offset:Offset":
            return {
                id: new Date().toISOString(),
                outputs: { ...rawInputs, ...offsetTime(inputs.baseRfc3339 ? new Date(inputs.baseRfc3339) : new Date(), inputs) },
            };
        case "time:index/static:Static":
        case "pulumiverse:time/static:Static": {
            // time_static: the given time, or now, fixed in state until replaced.
            const at = offsetTime(inputs.rfc3339 ? new Date(inputs.rfc3339) : new Date(), {});
            delete at.baseRfc3339;
            return { id: String(at.rfc3339), outputs: { ...rawInputs, ...at } };
        }
        default: {
            const prefix = type.split(":")[1]?.split("/")[0] ?? "res";
            return { id: `${prefix}-${hex(8)}`, outputs: { ...rawInputs } };
        }
    }
}

export async function update(
    ctx: ProviderContext,
    old: StateResource,
    rawInputs: Record<string, unknown>,
    changed: string[],
): Promise<Record<string, unknown>> {
    const inputs = unwrap(rawInputs) as Record<string, any>;
    const name = resourceName(old.urn);
    const computed = Object.fromEntries(Object.entries(old.outputs).filter(([k]) => !(k in old.inputs)));
    switch (old.type) {
        case "command:remote:Command": {
            // Update runs `update` if set, else `create` again, with the new inputs.
            const command = inputs.update ?? inputs.create;
            const out = command ? await runRemote(ctx, name, old.urn, inputs.connection, command, inputs.stdin ?? "", "update") : {};
            return { ...computed, ...rawInputs, ...out };
        }
        case "aws:ec2/instance:Instance": {
            const spec = instanceSpec(inputs);
            ctx.cloud.modifyInstance(old.id!, {
                ...(changed.includes("instanceType") || changed.includes("userData") || changed.includes("userDataBase64")
                    ? { instanceType: spec.instanceType }
                    : {}),
                ...(changed.includes("tags") ? { tags: spec.tags } : {}),
                ...(changed.includes("metadataOptions") ? { metadataOptions: spec.metadataOptions } : {}),
                ...(changed.includes("vpcSecurityGroupIds") ? { securityGroupIds: spec.securityGroupIds } : {}),
                ...(changed.includes("instanceInitiatedShutdownBehavior") ? { shutdownBehavior: spec.shutdownBehavior } : {}),
            });
            return { ...computed, ...rawInputs };
        }
        case "aws:ec2/securityGroup:SecurityGroup":
            ctx.cloud.putSecurityGroup(old.id, inputs.ingress ?? []);
            return { ...computed, ...rawInputs };
        case "aws:ec2/keyPair:KeyPair":
            return { ...computed, ...rawInputs };
        case "pulumi:index:Stash":
            return { input: rawInputs.input, output: old.outputs.output };
        case "time:index/offset:Offset":
        case "pulumiverse:time/offset:Offset":
            return { ...computed, ...rawInputs, ...offsetTime(new Date(String(unwrap(old.outputs).baseRfc3339)), inputs) };
        default:
            return { ...computed, ...rawInputs };
    }
}

/** Delete with the stored state: a command's `delete` runs with the stored connection and stdin. */
export async function remove(ctx: ProviderContext, resource: StateResource): Promise<void> {
    const outputs = unwrap(resource.outputs) as Record<string, any>;
    switch (resource.type) {
        case "command:remote:Command":
            if (outputs.delete)
                await runRemote(
                    ctx,
                    resourceName(resource.urn),
                    resource.urn,
                    outputs.connection,
                    outputs.delete,
                    outputs.stdin ?? "",
                    "delete",
                );
            return;
        case "aws:ec2/instance:Instance":
            ctx.cloud.terminateInstance(resource.id!);
            return;
        case "aws:ec2/subnet:Subnet":
            ctx.cloud.deleteSubnet(resource.id!);
            return;
        case "aws:ec2/securityGroup:SecurityGroup":
            ctx.cloud.deleteSecurityGroup(resource.id!);
            return;
        case "aws:ec2/keyPair:KeyPair":
            ctx.cloud.deleteKeyPair(resource.id!);
            return;
        default:
            return;
    }
}
