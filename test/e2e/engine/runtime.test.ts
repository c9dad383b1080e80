// The rule the engine's end of run rests on (run.ts): like Pulumi's language host, it awaits the
// SDK's outstanding registrations, so a resource that no output depends on, still waiting for an
// input, is created before the run ends (the gates of a lab whose cluster the learner forms).
import * as pulumi from "@pulumi/pulumi";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";
import { expect, it } from "vitest";

class Gate extends pulumi.CustomResource {
    constructor(name: string, host: pulumi.Input<string>) {
        super("test:index:Gate", name, { host });
    }
}

const waitForRPCs = (runtimeSettings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

it("the SDK's outstanding registrations include a resource still waiting for an input that no output uses", async () => {
    const created: string[] = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                created.push(args.name);
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        },
        "project",
        "stack",
        false,
    );
    let release: (value: string) => void = () => undefined;
    const late = new Promise<string>((resolve) => (release = resolve));
    new Gate("gate", late);

    let ended = false;
    const end = waitForRPCs().then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(ended).toBe(false); // its input is not there yet: the run cannot end
    expect(created).toEqual([]);

    release("10.42.1.11");
    await end;
    expect(created).toEqual(["gate"]);
});
