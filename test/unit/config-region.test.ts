// The AWS region: aws:region first, else where the AWS provider looks (AWS_REGION,
// AWS_DEFAULT_REGION, the profile in the shared config file), checked against the provider's list.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { labEnvironment } from "../../components/config";
import { environmentRegion, profileRegion, REGIONS } from "../../components/config/region";
import { changedRegionProblem, regionGuard } from "../../components/region-guard";
import { outcome, recorder, runLab, settled } from "../harness";
import { configOf, onlyProblem } from "../support/config";

const STASH = "pulumi:index:Stash";

const CONFIG_FILE = [
    "# made by aws configure",
    "[default]",
    "region = eu-west-1",
    "output = json",
    "",
    "[profile course]",
    "  region=ap-northeast-2  ; Seoul",
    "[profile empty]",
    "output = json",
    "[course]", // without the "profile " prefix a config-file section is not a profile
    "region = us-east-1",
].join("\n");
const files = (byPath: Record<string, string>) => (path: string) => {
    if (!(path in byPath)) throw new Error(`ENOENT: ${path}`);
    return byPath[path];
};

describe("where the region comes from", () => {
    it("reads a profile's region from a shared config file", () => {
        expect(profileRegion(CONFIG_FILE, "default")).toBe("eu-west-1");
        expect(profileRegion(CONFIG_FILE, "course")).toBe("ap-northeast-2");
        expect(profileRegion(CONFIG_FILE, "empty")).toBeUndefined();
        expect(profileRegion("[profile default]\nregion = sa-east-1\n", "default")).toBe("sa-east-1");
    });

    it("takes AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region, as the AWS provider does", () => {
        const read = files({ "/home/me/.aws/config": CONFIG_FILE, "/etc/aws.conf": "[profile ci]\nregion = us-west-2\n" });
        const home = { HOME: "/home/me" };
        expect(environmentRegion({}, { ...home, AWS_REGION: "us-east-2", AWS_DEFAULT_REGION: "us-west-1" }, read)).toEqual({
            region: "us-east-2",
            source: "AWS_REGION",
        });
        expect(environmentRegion({}, { ...home, AWS_DEFAULT_REGION: "us-west-1" }, read)).toEqual({
            region: "us-west-1",
            source: "AWS_DEFAULT_REGION",
        });
        expect(environmentRegion({}, home, read)).toEqual({
            region: "eu-west-1",
            source: 'the region of AWS profile "default" in /home/me/.aws/config',
        });
        expect(environmentRegion({}, { ...home, AWS_PROFILE: "course" }, read)?.region).toBe("ap-northeast-2");
        expect(environmentRegion({ "aws:profile": "course" }, { ...home, AWS_PROFILE: "empty" }, read)?.region).toBe("ap-northeast-2");
        expect(environmentRegion({}, { ...home, AWS_PROFILE: "ci", AWS_CONFIG_FILE: "/etc/aws.conf" }, read)?.region).toBe("us-west-2");
        expect(
            environmentRegion({ "aws:sharedConfigFiles": '["/etc/aws.conf","~/.aws/config"]' }, { ...home, AWS_PROFILE: "ci" }, read)
                ?.region,
        ).toBe("us-west-2");
        expect(environmentRegion({}, { ...home, AWS_PROFILE: "empty" }, read)).toBeUndefined();
        expect(environmentRegion({}, { HOME: "/nowhere" }, read)).toBeUndefined();
    });

    it("gives the program's environment to the config: aws:region wins, else the environment's region and where it was read", () => {
        const env = labEnvironment({}, { AWS_DEFAULT_REGION: "eu-central-1", SSH_AUTH_SOCK: "/tmp/agent" });
        expect(env).toMatchObject({ region: "eu-central-1", regionSource: "AWS_DEFAULT_REGION", sshAgentSocket: "/tmp/agent" });
        expect(configOf({}, env).region).toBe("eu-central-1");
        expect(configOf({ "aws:region": "us-east-1" }, env).region).toBe("us-east-1");
    });
});

describe("which regions pass", () => {
    it("are the AWS provider's own list", () => {
        expect(REGIONS).toContain("ap-northeast-2");
        expect(REGIONS).toContain("us-gov-west-1");
        expect(REGIONS.length).toBeGreaterThan(30);
    });

    it.each([
        [
            { "aws:region": "xx-nowhere-9" },
            {},
            'aws:region is "xx-nowhere-9": must be an AWS region the AWS provider knows, such as ap-northeast-2 or us-east-1',
        ],
        [
            { "aws:region": "ap-northeast2" },
            {},
            'aws:region is "ap-northeast2": must be an AWS region the AWS provider knows, such as ap-northeast-2 or us-east-1 (did you mean ap-northeast-2?)',
        ],
        [{ "aws:region": "AP-NORTHEAST-2" }, {}, "(did you mean ap-northeast-2?)"],
        [{}, { region: "seoul", regionSource: "AWS_REGION" }, 'AWS_REGION is "seoul": must be an AWS region'],
        [
            {},
            { region: "eu-west-9", regionSource: 'the region of AWS profile "default" in ~/.aws/config' },
            'the region of AWS profile "default" in ~/.aws/config is "eu-west-9"',
        ],
        [
            {},
            { region: "" },
            "aws:region is not set, and neither AWS_REGION, AWS_DEFAULT_REGION nor your AWS profile gives a region: set one: " +
                "pulumi config set aws:region <region>, export AWS_REGION=<region>, or `aws configure set region <region>` for your AWS profile",
        ],
    ])("refuses %j from %j", (values, env, message) => {
        expect(onlyProblem(values, env)).toContain(message);
    });

    it("lets aws:region win over a broken environment", () => {
        expect(configOf({ "aws:region": "eu-north-1" }, { region: "seoul", regionSource: "AWS_REGION" }).region).toBe("eu-north-1");
    });
});

describe("the region a lab was built in", () => {
    it("refuses a later run in another region, naming both and how to pin the first", () => {
        expect(changedRegionProblem(undefined, "us-east-1")).toBeUndefined();
        expect(changedRegionProblem("ap-northeast-2", "ap-northeast-2")).toBeUndefined();
        const problem = changedRegionProblem("ap-northeast-2", "us-east-1")!;
        expect(problem).toContain("this lab was built in ap-northeast-2, and this run's region is us-east-1");
        expect(problem).toContain("every resource of the lab is in ap-northeast-2");
        expect(problem).toMatch(/Pin it: pulumi config set aws:region ap-northeast-2$/);
    });

    it("keeps the first run's region in a pulumi.Stash and fails with a RunError when it changed", async () => {
        recorder.override = (args) => (args.type === STASH ? { state: { input: args.inputs.input, output: "us-east-1" } } : undefined);
        try {
            const changed = await outcome(regionGuard("ap-northeast-2"));
            expect(changed.error).toBeInstanceOf(pulumi.RunError);
            expect(changed.error!.message).toContain("this lab was built in us-east-1, and this run's region is ap-northeast-2");
            expect(await outcome(regionGuard("us-east-1"))).toEqual({ value: [] });
        } finally {
            recorder.override = undefined;
            await settled();
        }
    });

    it("makes the network and the nodes, and so every AWS resource, wait for the check", async () => {
        for (const lab of [{}, { orchestrator: "kubernetes" }] as Record<string, string>[]) {
            const run = await runLab(lab);
            const stash = run.byName("lab-region");
            expect(stash.inputs.input).toBe("ap-northeast-2");
            expect(run.ofType("cluster-lab:network:LabNetwork")[0].dependencies).toContain(stash.urn);
            expect(run.ofType("cluster-lab:nodes:LabNodes")[0].dependencies).toContain(stash.urn);
        }
    });
});
