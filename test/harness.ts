// Runs the real program under Pulumi mocks and records what the engine would see: every resource
// with its inputs (secret markers kept), its outputs, and the URNs it depends on.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

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
}

type MockAnswer = { id?: string; state?: Record<string, any> } | undefined;
export type ResourceMock = (args: pulumi.runtime.MockResourceArgs) => MockAnswer | Promise<MockAnswer>;

interface Recorder {
    resources: Registered[];
    inFlight: number;
    /** Test-specific behaviour, consulted before the defaults. */
    override?: ResourceMock;
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

const FAKE_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
export const FAKE_TOKENS = {
    worker: "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx",
    manager: "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2",
};

let ipCounter = 10;

/** Plausible provider answers: enough for the program to wire itself together. */
function defaultMock(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
    const inputs = unwrapSecrets(args.inputs);
    const id = `${args.name}-id`;
    switch (args.type) {
        case "tls:index/privateKey:PrivateKey":
            return { id, state: { ...inputs, privateKeyOpenssh: FAKE_PRIVATE_KEY, publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests lab" } };
        case "aws:ec2/keyPair:KeyPair":
            return { id, state: { ...inputs, keyName: `${args.name}-0123` } };
        case "aws:ec2/instance:Instance": {
            const n = ipCounter++;
            return { id: `i-${n}`, state: { ...inputs, publicIp: `203.0.113.${n}`, privateIp: `10.42.1.${n}` } };
        }
        case "pulumiverse:time/offset:Offset" :
        case "time:index/offset:Offset":
            return { id, state: { ...inputs, rfc3339: "2026-11-22T12:00:00Z" } };
        case "command:remote:Command": {
            const stdin = String(inputs.stdin ?? "");
            let stdout = "ok";
            if (stdin.includes("docker swarm init")) stdout = JSON.stringify(FAKE_TOKENS);
            else if (stdin.includes("docker swarm join")) stdout = `joined\nnode-id-${args.name}`;
            else if (stdin.includes("kubeadm token create")) {
                // A fresh bootstrap token per node, derived from the resource name; a key for control planes.
                const id = args.name.replace(/[^a-z0-9]/g, "");
                stdout = JSON.stringify({
                    endpoint: "k8s-cp1:6443",
                    token: `${id.slice(0, 6)}.${(id + "0000000000000000").slice(0, 16)}`,
                    caCertHash: `sha256:${"c0ffee42".repeat(8)}`,
                    certificateKey: stdin.includes("export CONTROL_PLANE='true'") ? "0123456789abcdef".repeat(4) : "",
                });
            } else if (stdin.includes('cat "$ADMIN_CONF"')) {
                stdout = [
                    "apiVersion: v1", "kind: Config", "current-context: kubernetes-admin@kubernetes",
                    "clusters:", "- name: kubernetes", "  cluster:",
                    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZha2VDQQ==",
                    "    server: https://k8s-cp1:6443",
                    "contexts:", "- name: kubernetes-admin@kubernetes", "  context: {cluster: kubernetes, user: kubernetes-admin}",
                    "users:", "- name: kubernetes-admin", "  user:",
                    "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZha2VDbGllbnQ=",
                    "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpGYWtlS2V5",
                ].join("\n") + "\n";
            }
            return { id, state: { ...inputs, stdout, stderr: "" } };
        }
        default:
            return { id, state: inputs };
    }
}

export function installRecordingMocks(): void {
    const original = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: any) {
        recorder.inFlight++;
        const entry = {
            type: req.getType() as string, name: req.getName() as string,
            rawInputs: pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>,
            dependencies: req.getDependenciesList() as string[],
        };
        return original.call(this, req, (err: unknown, response: any) => {
            if (!err) {
                recorder.resources.push({
                    ...entry, urn: response.getUrn(), inputs: unwrapSecrets(entry.rawInputs),
                    state: unwrapSecrets(response.getObject()?.toJavaScript() ?? {}),
                });
            }
            recorder.inFlight--;
            callback(err, response);
        });
    };

    pulumi.runtime.setMocks({
        newResource: async (args) => {
            const custom = await recorder.override?.(args);
            const fallback = defaultMock(args);
            return { id: custom?.id ?? fallback.id, state: custom?.state ?? fallback.state };
        },
        call: (args) => {
            if (args.token === "aws:ec2/getAmi:getAmi") return { id: "ami-0123456789abcdef0", architecture: "x86_64", name: "debian-12-amd64-20261101" };
            return args.inputs;
        },
    }, "cluster-lab", "dev", false);
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

export const BASE_CONFIG: Record<string, string> = {
    "aws:region": "ap-northeast-2",
    "lab:allowedCidr": "198.51.100.0/24",
};

/** Runs index.ts once with the given `lab:` config (keys without the namespace) and waits for every resource. */
export async function runLab(lab: Record<string, string> = {}, override?: ResourceMock): Promise<LabRun> {
    recorder.resources = [];
    recorder.override = override;
    ipCounter = 10;
    pulumi.runtime.setAllConfig({
        ...BASE_CONFIG,
        ...Object.fromEntries(Object.entries(lab).map(([k, v]) => [k.includes(":") ? k : `lab:${k}`, v])),
    });
    const program = (await import("../index.js")).default as unknown as () => Promise<Record<string, unknown>>;
    const exported = await program();
    const outputs: Record<string, OutputValue> = {};
    for (const [key, value] of Object.entries(exported)) {
        const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
        outputs[key] = {
            value: await new Promise((resolve) => output.apply(resolve)),
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
        resources, outputs, byName,
        ofType: (type) => resources.filter((r) => r.type === type),
        dependsOn: (name) => {
            const seen = new Set<string>();
            const visit = (urn: string) => {
                for (const dep of byUrn.get(urn)?.dependencies ?? []) {
                    if (!seen.has(dep)) { seen.add(dep); visit(dep); }
                }
            };
            visit(byName(name).urn);
            return seen;
        },
    };
}
