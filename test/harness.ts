// Runs the real program under Pulumi mocks and records what the engine would see: every resource
// with its inputs (secret markers kept), its outputs, and the URNs it depends on.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as runtimeState from "@pulumi/pulumi/runtime/state";
import { gunzipSync } from "node:zlib";
import { operatorNetwork } from "../components/operator-network";
import { typeOfferingsAnswer } from "./e2e/cloud/vms";

export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface Registered {
    type: string;
    name: string;
    urn: string;
    /** Inputs as the engine receives them: secrets stay wrapped as {SIG_KEY: SECRET_SIG, value}. */
    rawInputs: Record<string, unknown>;
    /** The same inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    state: Record<string, any>;
    dependencies: string[];
    /** The resource options the engine receives with it. */
    options: ResourceOptionsSeen;
}

export interface ResourceOptionsSeen {
    deletedWith?: string;
    replaceWith: string[];
    ignoreChanges: string[];
    replaceOnChanges: string[];
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
}

type MockAnswer = { id?: string; state?: Record<string, any> } | undefined;
export type ResourceMock = (args: pulumi.runtime.MockResourceArgs) => MockAnswer | Promise<MockAnswer>;

interface Recorder {
    resources: Registered[];
    inFlight: number;
    /** Test-specific behaviour, consulted before the defaults. */
    override?: ResourceMock;
    /** Test-specific answers to function calls (getAmi, ...), consulted before the defaults. */
    call?: (args: pulumi.runtime.MockCallArgs) => Record<string, any> | undefined;
}
export const recorder: Recorder = { resources: [], inFlight: 0 };

export function isSecretValue(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function unwrapSecrets(value: unknown): any {
    if (isSecretValue(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Everything that looks like a credential: swarm and kubeadm tokens, certificate keys, kubeconfig keys, private keys. */
export const SECRET_PATTERNS = [
    /SWMTKN-1-[0-9a-z]+-[0-9a-z]+/,
    /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/,
    /\b[0-9a-f]{64}\b/,
    /certificate-authority-data/,
    /client-key-data/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/** Walks a recorded value and returns the paths of strings that match a secret pattern outside a secret marker. */
export function plainSecrets(value: unknown, where: string, inSecret = false): string[] {
    if (isSecretValue(value)) return plainSecrets(value.value, where, true);
    if (typeof value === "string") return !inSecret && SECRET_PATTERNS.some((p) => p.test(value)) ? [where] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => plainSecrets(v, `${where}[${i}]`, inSecret));
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([k, v]) => plainSecrets(v, `${where}.${k}`, inSecret));
    }
    return [];
}

const FAKE_PRIVATE_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
export const FAKE_TOKENS = {
    worker: "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx",
    manager: "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2",
};

/** When the mocks' labs were created (their time.Static). */
export const CREATED_AT = "2026-11-22T08:00:00Z";

let ipCounter = 10;
let eipCounter = 10;

const ADMIN_CONF =
    [
        "apiVersion: v1",
        "kind: Config",
        "current-context: kubernetes-admin@kubernetes",
        "clusters:",
        "- name: kubernetes",
        "  cluster:",
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZha2VDQQ==",
        "    server: https://k8s-api:6443",
        "contexts:",
        "- name: kubernetes-admin@kubernetes",
        "  context: {cluster: kubernetes, user: kubernetes-admin}",
        "users:",
        "- name: kubernetes-admin",
        "  user:",
        "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZha2VDbGllbnQ=",
        "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpGYWtlS2V5",
    ].join("\n") + "\n";

/** A fresh bootstrap token per node, derived from the resource name; a certificate key for control planes. */
function joinCommandFor(node: string, resource: string): string {
    const id = resource.replace(/[^a-z0-9]/g, "");
    return JSON.stringify({
        endpoint: "k8s-api:6443",
        token: `${id.slice(0, 6)}.${(id + "0000000000000000").slice(0, 16)}`,
        caCertHash: `sha256:${"c0ffee42".repeat(8)}`,
        certificateKey: node.includes("-cp") ? "0123456789abcdef".repeat(4) : "",
    });
}

/**
 * What a step prints, chosen by its node and step as remote.ts names them on the command line
 * (LAB_NODE, LAB_STEP), never by the script's text.
 */
function stepOutput(create: string, resource: string): string {
    const node = /LAB_NODE=(\S+)/.exec(create)?.[1] ?? "";
    const step = /LAB_STEP=(\S+)/.exec(create)?.[1] ?? "";
    const swarm = node.startsWith("swarm-");
    if (swarm && step === "init") return JSON.stringify(FAKE_TOKENS);
    if (swarm && step === "join") return `joined\nnode-id-${resource}`;
    if (!swarm && step.startsWith("join-command-for-")) return joinCommandFor(step.slice("join-command-for-".length), resource);
    if (!swarm && step === "kubeconfig") return ADMIN_CONF;
    return "ok";
}

/** Plausible provider answers: enough for the program to wire itself together. */
function defaultMock(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
    const inputs = unwrapSecrets(args.inputs);
    const id = `${args.name}-id`;
    switch (args.type) {
        case "tls:index/privateKey:PrivateKey": {
            // A key of its own per resource, so that tests can tell which key went where.
            const tag = Buffer.from(args.name)
                .toString("base64")
                .replace(/[^A-Za-z0-9]/g, "");
            return {
                id,
                state: {
                    ...inputs,
                    privateKeyOpenssh: FAKE_PRIVATE_KEY.replace("AAAAABG5vbmUAAAAEbm9uZQ", `AAAAABG5vbmUAAAAEbm9uZQ${tag}`),
                    publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${tag} lab\n`,
                },
            };
        }
        case "aws:ec2/keyPair:KeyPair":
            return { id, state: { ...inputs, keyName: `${args.name}-0123` } };
        case "aws:ec2/instance:Instance": {
            const n = ipCounter++;
            return { id: `i-${n}`, state: { ...inputs, publicIp: `203.0.113.${n}`, privateIp: `10.42.1.${n}` } };
        }
        case "aws:ec2/eip:Eip": {
            const n = eipCounter++;
            return { id: `eipalloc-${n}`, state: { ...inputs, publicIp: `192.0.2.${n}` } };
        }
        case "aws:lb/loadBalancer:LoadBalancer":
            return {
                id,
                state: {
                    ...inputs,
                    arn: `arn:aws:elasticloadbalancing:::loadbalancer/net/${args.name}/0123`,
                    arnSuffix: `net/${args.name}/0123`,
                    dnsName: `${args.name}-0123.elb.ap-northeast-2.amazonaws.com`,
                },
            };
        case "aws:lb/targetGroup:TargetGroup":
            return { id, state: { ...inputs, arn: `arn:aws:elasticloadbalancing:::targetgroup/${args.name}/0123` } };
        case "pulumi:index:Stash":
            // A new stash: its output is the input it was created with.
            return { id, state: { input: inputs.input, output: inputs.input } };
        case "time:index/static:Static":
            return { id, state: { ...inputs, rfc3339: CREATED_AT } };
        case "command:remote:Command":
            return { id, state: { ...inputs, stdout: stepOutput(String(inputs.create ?? ""), args.name), stderr: "" } };
        default:
            return { id, state: inputs };
    }
}

/** Where the unit tests' region offers each type: every zone, except that ap-northeast-2a has no t3.medium. */
export const ZONES = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"];
function typeOfferingsIn(inputs: Record<string, any>): Record<string, any> {
    const types: string[] = inputs.filters?.find((f: { name: string }) => f.name === "instance-type")?.values ?? [];
    const offered = Object.fromEntries(ZONES.map((zone) => [zone, types.filter((t) => !(zone === ZONES[0] && t === "t3.medium"))]));
    return typeOfferingsAnswer(offered, types);
}

export function installRecordingMocks(): void {
    const original = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: any) {
        recorder.inFlight++;
        const entry = {
            type: req.getType() as string,
            name: req.getName() as string,
            rawInputs: pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>,
            dependencies: req.getDependenciesList() as string[],
            options: {
                deletedWith: req.getDeletedwith() || undefined,
                replaceWith: req.getReplaceWithList() as string[],
                ignoreChanges: req.getIgnorechangesList() as string[],
                replaceOnChanges: req.getReplaceonchangesList() as string[],
                retainOnDelete: req.getRetainondelete() || undefined,
                deleteBeforeReplace: req.getDeletebeforereplace() || undefined,
            },
        };
        return original.call(this, req, (err: unknown, response: any) => {
            if (!err) {
                recorder.resources.push({
                    ...entry,
                    urn: response.getUrn(),
                    inputs: unwrapSecrets(entry.rawInputs),
                    state: unwrapSecrets(response.getObject()?.toJavaScript() ?? {}),
                });
            }
            recorder.inFlight--;
            callback(err, response);
        });
    };

    pulumi.runtime.setMocks(
        {
            newResource: async (args) => {
                const custom = await recorder.override?.(args);
                const fallback = defaultMock(args);
                return { id: custom?.id ?? fallback.id, state: custom?.state ?? fallback.state };
            },
            call: (args) => {
                const custom = recorder.call?.(args);
                if (custom) return custom;
                if (args.token === "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings") return typeOfferingsIn(args.inputs);
                if (args.token === "aws:ec2/getAmi:getAmi")
                    return { id: "ami-0123456789abcdef0", architecture: "x86_64", name: "debian-12-amd64-20261101" };
                // A network load balancer's interface: AWS describes it "ELB net/<name>/<id>" (its ARN suffix).
                if (args.token === "aws:ec2/getNetworkInterface:getNetworkInterface") {
                    const [filter] = args.inputs.filters ?? [];
                    if (filter?.name !== "description" || !/^ELB net\/[^/]+\/[^/]+$/.test(filter.values?.[0]))
                        throw new Error(`no interface matches ${JSON.stringify(args.inputs)}`);
                    return { id: "eni-0123", privateIp: "10.42.1.250", filters: args.inputs.filters };
                }
                return args.inputs;
            },
        },
        "cluster-lab",
        "dev",
        false,
    );
}

/** Resolves once no resource registration has been under way for a few ticks. */
export async function settled(): Promise<void> {
    for (let quiet = 0; quiet < 3;) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        quiet = recorder.inFlight === 0 ? quiet + 1 : 0;
    }
}

export interface OutputValue {
    value: any;
    secret: boolean;
}

export interface LabRun {
    resources: Registered[];
    outputs: Record<string, OutputValue>;
    byName(name: string): Registered;
    ofType(type: string): Registered[];
    /** Every URN a resource depends on, directly or through others. */
    dependsOn(name: string): Set<string>;
}

/** The operator's address the unit tests' lookup answers: inside BASE_CONFIG's allowedCidr. */
export const OPERATOR_ADDRESS = "198.51.100.7";
export const probedPorts: string[] = [];

/** The unit tests' nodes have documentation addresses: nothing is looked up or dialled for real. */
export function fakeOperatorNetwork(): void {
    operatorNetwork.lookupAddress = async () => OPERATOR_ADDRESS;
    operatorNetwork.waitForPort = async (host, port) => {
        probedPorts.push(`${host}:${port}`);
    };
    // The developer's own agent (or a dead one) must not decide a unit test.
    operatorNetwork.agentAnswers = async () => true;
}

/** Runs fn as the program runs during `pulumi preview` and the preview half of `pulumi up`. */
export async function asPreview<T>(fn: () => Promise<T>): Promise<T> {
    // The SDK keeps its options in a store it does not type for callers.
    const options = (runtimeState as unknown as { getStore: () => { settings: { options: { dryRun?: boolean } } } }).getStore().settings
        .options;
    const before = options.dryRun;
    options.dryRun = true;
    try {
        return await fn();
    } finally {
        options.dryRun = before;
    }
}

/** Resource names of one type, sorted. */
export const names = (run: LabRun, type: string) =>
    run
        .ofType(type)
        .map((r) => r.name)
        .sort();
/** An instance's cloud-config as cloud-init reads it: userDataBase64 inflated. */
export const cloudConfigOf = (instance: { inputs: Record<string, any> }) =>
    gunzipSync(Buffer.from(String(instance.inputs.userDataBase64), "base64")).toString("utf8");
/** The script a command sends on stdin. */
export const stdinOf = (run: LabRun, name: string) => String(run.byName(name).inputs.stdin);
/** The value of one `export NAME='value'` line of a rendered script. */
export const exported = (script: string, name: string) => new RegExp(`^export ${name}='([^']*)'$`, "m").exec(script)?.[1];

export const COMMAND = "command:remote:Command";
export const INSTANCE = "aws:ec2/instance:Instance";
export const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";

export const BASE_CONFIG: Record<string, string> = {
    "aws:region": "ap-northeast-2",
    "lab:allowedCidr": "198.51.100.0/24",
};

/** Runs index.ts once with the given `lab:` config (keys without the namespace) and waits for every resource. */
export async function runLab(lab: Record<string, string> = {}, override?: ResourceMock): Promise<LabRun> {
    recorder.resources = [];
    recorder.override = override;
    ipCounter = 10;
    eipCounter = 10;
    pulumi.runtime.setAllConfig({
        ...BASE_CONFIG,
        ...Object.fromEntries(Object.entries(lab).map(([k, v]) => [k.includes(":") ? k : `lab:${k}`, v])),
    });
    const program = (await import("../index.js")).default as unknown as () => Promise<Record<string, unknown>>;
    const exported = await program();
    const outputs: Record<string, OutputValue> = {};
    for (const [key, value] of Object.entries(exported)) {
        const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
        // In a preview an output may be unknown: apply never runs its callback then.
        const known = await (output as unknown as { isKnown: Promise<boolean> }).isKnown;
        outputs[key] = {
            value: known ? await new Promise((resolve) => output.apply(resolve)) : undefined,
            secret: await pulumi.isSecret(output),
        };
    }
    await settled();
    const resources = [...recorder.resources];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const byName = (name: string) => {
        const found = resources.find((r) => r.name === name);
        if (!found) throw new Error(`no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
        return found;
    };
    return {
        resources,
        outputs,
        byName,
        ofType: (type) => resources.filter((r) => r.type === type),
        dependsOn: (name) => {
            const seen = new Set<string>();
            const visit = (urn: string) => {
                for (const dep of byUrn.get(urn)?.dependencies ?? []) {
                    if (!seen.has(dep)) {
                        seen.add(dep);
                        visit(dep);
                    }
                }
            };
            visit(byName(name).urn);
            return seen;
        },
    };
}

/**
 * The value of an Output, or the error its apply threw. The Output's other promises are awaited too:
 * in a real run nothing holds them, and the Pulumi runtime prints a RunError among them as the
 * program's error (cmd/run/run.js, uncaughtHandler).
 */
export async function outcome(output: pulumi.Output<unknown>): Promise<{ value?: unknown; error?: Error }> {
    const internal = output as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    const settle = (p: Promise<unknown>) =>
        p.then(
            (value) => ({ value }),
            (error: Error) => ({ error }),
        );
    const [result] = await Promise.all([settle(internal.promise()), settle(internal.isKnown), settle(internal.isSecret)]);
    return result;
}
