// Each rule of the local engine, pinned to what Pulumi and the providers document.
import { describe, expect, it } from "vitest";
import { applyIgnoreChanges, changedKeys, deleteDecision, deletionWaves, planStep, Registration } from "./plan";
import { secret, StateResource } from "./state";

const COMMAND = "command:remote:Command";
const INSTANCE = "aws:ec2/instance:Instance";
const noContext = { replaceTargets: new Set<string>(), replaced: new Set<string>() };

function reg(name: string, type: string, inputs: Record<string, unknown>, extra: Partial<Registration> = {}): Registration {
    return {
        urn: `urn:pulumi:dev::cluster-lab::${type}::${name}`,
        type,
        name,
        custom: true,
        inputs,
        dependencies: [],
        ignoreChanges: [],
        replaceOnChanges: [],
        deleteBeforeReplace: false,
        retainOnDelete: false,
        replaceWith: [],
        additionalSecretOutputs: [],
        ...extra,
    };
}

function state(r: Registration, inputs = r.inputs, extra: Partial<StateResource> = {}): StateResource {
    return { urn: r.urn, custom: true, id: `${r.name}-id`, type: r.type, inputs, outputs: inputs, dependencies: r.dependencies, ...extra };
}

const plan = (r: Registration, oldInputs: Record<string, unknown> | undefined, ctx = noContext) =>
    planStep(r, oldInputs ? state(r, oldInputs) : undefined, applyIgnoreChanges(oldInputs, r.inputs, r.ignoreChanges), ctx);

describe("engine steps (https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/)", () => {
    const command = { create: "run", stdin: "script v1", connection: { host: "10.42.1.11", privateKey: secret("KEY") }, triggers: ["h1"] };

    it("creates what the state does not have, and does nothing for unchanged inputs", () => {
        expect(plan(reg("a", COMMAND, command), undefined)).toEqual({ op: "create" });
        expect(plan(reg("a", COMMAND, command), command)).toEqual({ op: "same" });
    });

    it("compares secrets by value, not by their wrapping", () => {
        expect(changedKeys({ k: secret("x") }, { k: "x" })).toEqual([]);
        expect(changedKeys({ k: secret("x") }, { k: secret("y") })).toEqual(["k"]);
    });

    it('command:remote:Command: triggers replace (inputs.go: provider:"replaceOnChanges"), any other change updates (commandController.go Update)', () => {
        expect(plan(reg("a", COMMAND, { ...command, triggers: ["h2"] }), command)).toMatchObject({ op: "replace", reasons: ["triggers"] });
        expect(plan(reg("a", COMMAND, { ...command, stdin: "script v2" }), command)).toEqual({ op: "update", changed: ["stdin"] });
        expect(plan(reg("a", COMMAND, { ...command, connection: { host: "10.42.1.12", privateKey: secret("KEY") } }), command)).toEqual({
            op: "update",
            changed: ["connection"],
        });
    });

    it("aws_instance: instance_market_options is Optional+Computed: left out, the spot market stays, no diff at all", () => {
        const spot = { ami: "ami-1", instanceMarketOptions: { marketType: "spot" }, tags: { Name: "n" } };
        expect(plan(reg("n", INSTANCE, { ami: "ami-1", tags: { Name: "n" } }), spot)).toEqual({ op: "same" });
        expect(plan(reg("n", INSTANCE, spot), { ami: "ami-1", tags: { Name: "n" } })).toMatchObject({
            op: "replace",
            reasons: ["instanceMarketOptions"],
        });
    });

    it("replaceOnChanges takes property paths: a change at tags.Market replaces, one at another tag updates", () => {
        const old = { ami: "ami-1", tags: { Market: "spot", ExpiresAt: "t1" } };
        const options = { replaceOnChanges: ["tags.Market"] };
        expect(plan(reg("n", INSTANCE, { ...old, tags: { Market: "spot", ExpiresAt: "t2" } }, options), old)).toEqual({
            op: "update",
            changed: ["tags"],
        });
        expect(plan(reg("n", INSTANCE, { ...old, tags: { ExpiresAt: "t1" } }, options), old)).toMatchObject({
            op: "replace",
            reasons: ["tags.Market"],
        });
    });

    it("aws_instance: ami, keyName, subnetId, privateIp, instanceMarketOptions are ForceNew; instanceType, tags, metadataOptions update in place", () => {
        const instance = {
            ami: "ami-1",
            instanceType: "t3.small",
            keyName: "k",
            subnetId: "s",
            userData: "u1",
            tags: { A: "1" },
            metadataOptions: { httpTokens: "required" },
        };
        for (const key of ["ami", "keyName", "subnetId", "privateIp", "instanceMarketOptions"]) {
            expect(plan(reg("n", INSTANCE, { ...instance, [key]: "changed" }), instance)).toMatchObject({ op: "replace", reasons: [key] });
        }
        for (const key of [
            "instanceType",
            "tags",
            "metadataOptions",
            "vpcSecurityGroupIds",
            "sourceDestCheck",
            "instanceInitiatedShutdownBehavior",
        ]) {
            expect(plan(reg("n", INSTANCE, { ...instance, [key]: "changed" }), instance)).toEqual({ op: "update", changed: [key] });
        }
    });

    it("aws_instance: userData replaces only with userDataReplaceOnChange (user_data_replace_on_change)", () => {
        const instance = { ami: "ami-1", userData: "u1" };
        expect(plan(reg("n", INSTANCE, { ...instance, userData: "u2" }), instance)).toEqual({ op: "update", changed: ["userData"] });
        const replacing = { ...instance, userDataReplaceOnChange: true };
        expect(plan(reg("n", INSTANCE, { ...replacing, userData: "u2" }), replacing)).toMatchObject({
            op: "replace",
            reasons: ["userData"],
        });
    });

    it("ignoreChanges: the listed properties keep their old values, so a newer AMI changes nothing", () => {
        const old = { ami: "ami-1", tags: { A: "1", B: "1" } };
        const r = reg("n", INSTANCE, { ami: "ami-2", tags: { A: "1", B: "2" } }, { ignoreChanges: ["ami", "tags.B"] });
        expect(plan(r, old)).toEqual({ op: "same" });
        expect(applyIgnoreChanges(undefined, r.inputs, r.ignoreChanges)).toEqual(r.inputs);
    });

    it("replaceOnChanges turns an update into a replacement", () => {
        const r = reg("a", COMMAND, { ...command, stdin: "v2" }, { replaceOnChanges: ["stdin"] });
        expect(plan(r, command)).toMatchObject({ op: "replace", reasons: ["stdin"] });
    });

    it("`pulumi up --replace <urn>` replaces an unchanged resource", () => {
        const r = reg("n", INSTANCE, { ami: "ami-1" });
        expect(plan(r, { ami: "ami-1" }, { replaceTargets: new Set([r.urn]), replaced: new Set() })).toMatchObject({
            op: "replace",
            reasons: ["--replace"],
        });
    });

    it("replaceWith: replaced when any listed resource was replaced in this run", () => {
        const instance = reg("n", INSTANCE, { ami: "ami-1" });
        const join = reg("n-join", COMMAND, command, { replaceWith: [instance.urn] });
        expect(plan(join, command)).toEqual({ op: "same" });
        expect(plan(join, command, { replaceTargets: new Set(), replaced: new Set([instance.urn]) })).toMatchObject({
            op: "replace",
            reasons: [`replaceWith ${instance.urn}`],
        });
    });

    it("create-before-delete unless deleteBeforeReplace", () => {
        const changed = { ...command, triggers: ["h2"] };
        expect(plan(reg("a", COMMAND, changed), command)).toMatchObject({ deleteBeforeReplace: false });
        expect(plan(reg("a", COMMAND, changed, { deleteBeforeReplace: true }), command)).toMatchObject({ deleteBeforeReplace: true });
    });
});

describe("deletions (https://www.pulumi.com/docs/iac/concepts/options/deletedwith/, .../retainondelete/)", () => {
    const r = (name: string, extra: Partial<StateResource> = {}): StateResource => ({
        urn: `urn:${name}`,
        custom: true,
        id: name,
        type: COMMAND,
        inputs: {},
        outputs: {},
        dependencies: [],
        ...extra,
    });

    it("in reverse dependency order: dependents, children and what is deleted with a resource go first", () => {
        const manager = r("manager");
        const worker = r("worker");
        const join = r("join", { dependencies: ["urn:worker", "urn:manager"] });
        const membership = r("membership", { dependencies: ["urn:join"], deletedWith: "urn:manager" });
        const child = r("child", { parent: "urn:worker" });
        const waves = deletionWaves([manager, worker, join, membership, child]).map((w) => w.map((x) => x.id).sort());
        expect(waves).toEqual([["child", "membership"], ["join"], ["manager", "worker"]]);
    });

    it("deletedWith: the provider's Delete is skipped when the named resource is deleted in the same operation", () => {
        const membership = r("membership", { deletedWith: "urn:manager" });
        expect(deleteDecision(membership, new Set(["urn:membership", "urn:manager"]))).toBe("skip-deleted-with");
        expect(deleteDecision(membership, new Set(["urn:membership"]))).toBe("delete");
    });

    it("retainOnDelete: dropped from the state without calling the provider", () => {
        expect(deleteDecision(r("kept", { retainOnDelete: true }), new Set(["urn:kept"]))).toBe("retain");
    });
});
