// Provider behaviour that needs no VM: what Create and Update return for the engine's own and the
// time provider's resources.
// https://www.pulumi.com/docs/iac/concepts/resources/stash/ (output keeps the first input)
// https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/static, .../offset
import { describe, expect, it } from "vitest";
import { create, ProviderContext, update } from "./providers";
import { StateResource } from "./state";

const ctx = {} as ProviderContext;
const urn = (type: string, name: string) => `urn:pulumi:dev::cluster-lab::${type}::${name}`;
const asState = (
    type: string,
    name: string,
    made: { id: string; outputs: Record<string, unknown> },
    inputs: Record<string, unknown>,
): StateResource => ({ urn: urn(type, name), custom: true, id: made.id, type, inputs, outputs: made.outputs, dependencies: [] });

describe("local providers", () => {
    it("Stash: output is the input at creation and stays when the input changes", async () => {
        const made = await create(ctx, "pulumi:index:Stash", urn("pulumi:index:Stash", "s"), { input: { cni: "calico" } });
        expect(made.outputs).toEqual({ input: { cni: "calico" }, output: { cni: "calico" } });
        const updated = await update(
            ctx,
            asState("pulumi:index:Stash", "s", made, { input: { cni: "calico" } }),
            { input: { cni: "flannel" } },
            ["input"],
        );
        expect(updated).toEqual({ input: { cni: "flannel" }, output: { cni: "calico" } });
    });

    it("time_static: now (or the given time), fixed; time_offset: a new offset recomputes from the same base", async () => {
        const fixed = await create(ctx, "pulumiverse:time/static:Static", urn("pulumiverse:time/static:Static", "created"), {
            rfc3339: "2026-11-23T08:00:00Z",
        });
        expect(fixed.outputs).toMatchObject({ rfc3339: "2026-11-23T08:00:00Z", unix: 1795420800 });
        const type = "pulumiverse:time/offset:Offset";
        const made = await create(ctx, type, urn(type, "expiry"), { offsetHours: 8, baseRfc3339: "2026-11-23T08:00:00Z" });
        expect(made.outputs).toMatchObject({ rfc3339: "2026-11-23T16:00:00Z" });
        const updated = await update(
            ctx,
            asState(type, "expiry", made, { offsetHours: 8, baseRfc3339: "2026-11-23T08:00:00Z" }),
            { offsetHours: 2, baseRfc3339: "2026-11-23T08:00:00Z" },
            ["offsetHours"],
        );
        expect(updated).toMatchObject({ rfc3339: "2026-11-23T10:00:00Z", baseRfc3339: "2026-11-23T08:00:00Z" });
    });
});
