// No secret outside a secret: a scanner walks every input and output the engine would see, for both
// orchestrators, and the steps that print secrets keep them out of the logs.
import { describe, expect, it } from "vitest";
import { sudoScriptCommand } from "../../components/remote";
import { COMMAND, FAKE_TOKENS, isSecretValue, plainSecrets, Registered, runLab } from "../harness";

const nodeOf = (create: string) => /LAB_NODE=(\S+)/.exec(create)![1];
const stepOf = (create: string) => /LAB_STEP=(\S+)/.exec(create)![1];

const K8S = { orchestrator: "kubernetes" };

describe("swarm secrets", () => {
    it("keeps join tokens and the private key inside secrets in every input and output", async () => {
        const run = await runLab({ managers: "3", workers: "2" });
        const leaks = run.resources.flatMap((r: Registered) => plainSecrets(r.rawInputs, `${r.name}.inputs`));
        expect(leaks).toEqual([]);
        for (const [key, output] of Object.entries(run.outputs)) {
            if (!output.secret) expect(plainSecrets(output.value, key)).toEqual([]);
        }
        expect(run.outputs.privateKey.secret).toBe(true);

        // The scanner does see the tokens: they reach the joins, as secrets.
        const joinInputs = JSON.stringify(run.byName("swarm-worker1-join").rawInputs);
        expect(joinInputs).toContain(FAKE_TOKENS.worker);
        expect(JSON.stringify(run.byName("swarm-manager2-join").rawInputs)).toContain(FAKE_TOKENS.manager);
        expect(isSecretValue(run.byName("swarm-worker1-join").rawInputs.stdin)).toBe(true);
        expect(JSON.stringify(run.byName("swarm-worker1-gate").rawInputs.connection)).toContain("BEGIN OPENSSH PRIVATE KEY");
    });

    it("flags a token that reaches an input unsecret (the scanner can fail)", () => {
        expect(plainSecrets({ create: `docker swarm join --token ${FAKE_TOKENS.worker}` }, "x")).toEqual(["x.create"]);
        expect(plainSecrets({ key: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc" }, "x")).toEqual(["x.key"]);
    });

    it("never puts a secret on a command line, and hides the stdout of the token step from logs", async () => {
        const run = await runLab({ workers: "2" });
        for (const command of run.ofType(COMMAND)) {
            expect(isSecretValue(command.rawInputs.create)).toBe(false);
            expect(command.inputs.create).toBe(sudoScriptCommand(nodeOf(command.inputs.create), stepOf(command.inputs.create)));
            expect(command.inputs.create).toMatch(/^sudo -n env LAB_NODE=[a-z0-9-]+ LAB_STEP=[a-z0-9-]+ bash -c 'umask 077; f=\$\(mktemp /);
            expect(command.inputs.addPreviousOutputInEnv).toBe(false);
        }
        expect(run.byName("swarm-init").inputs.logging).toBe("stderr");
        expect(run.byName("swarm-worker1-join").inputs.logging).toBe("stdoutAndStderr");
    });
});

describe("kubernetes secrets", () => {
    it("keeps tokens, certificate keys and the kubeconfig inside secrets, and their steps' stdout out of logs", async () => {
        const run = await runLab({ ...K8S, managers: "3", workers: "2", loadBalancer: "true" });
        expect(run.resources.flatMap((r: Registered) => plainSecrets(r.rawInputs, `${r.name}.inputs`))).toEqual([]);
        for (const [key, output] of Object.entries(run.outputs)) {
            if (!output.secret) expect(plainSecrets(output.value, key)).toEqual([]);
        }
        expect(run.outputs.kubeconfig.secret).toBe(true);
        expect(run.outputs.privateKey.secret).toBe(true);
        // The mocks' states lose secret markers: a command whose stdout carries a secret must not log it.
        const printing = run.ofType(COMMAND).filter((c) => plainSecrets(c.state.stdout, c.name).length > 0);
        expect(printing.map((c) => c.name).sort()).toEqual([
            "k8s-cp2-join-command",
            "k8s-cp3-join-command",
            "k8s-w1-join-command",
            "k8s-w2-join-command",
            "kubeadm-kubeconfig",
        ]);
        for (const command of printing) expect(command.inputs.logging).toBe("stderr");
        for (const command of run.ofType(COMMAND)) {
            expect(isSecretValue(command.rawInputs.create)).toBe(false);
            expect(command.inputs.create).toBe(sudoScriptCommand(nodeOf(command.inputs.create), stepOf(command.inputs.create)));
            expect(command.inputs.create).toMatch(/^sudo -n env LAB_NODE=[a-z0-9-]+ LAB_STEP=[a-z0-9-]+ bash -c 'umask 077; f=\$\(mktemp /);
        }

        // The scanner does see them: they reach the joins and the provider, as secrets.
        const token = JSON.parse(run.byName("k8s-w1-join-command").state.stdout).token;
        expect(JSON.stringify(run.byName("k8s-w1-join").rawInputs)).toContain(token);
        expect(JSON.stringify(run.byName("kubeadm-provider").rawInputs)).toContain("client-key-data");
    });

    it("flags a token, a certificate key or kubeconfig data that reaches an input unsecret (the scanner can fail)", () => {
        expect(plainSecrets({ create: "kubeadm join k8s-cp1:6443 --token abcdef.0123456789abcdef" }, "x")).toEqual(["x.create"]);
        expect(plainSecrets({ env: ["0123456789abcdef".repeat(4)] }, "x")).toEqual(["x.env[0]"]);
        expect(plainSecrets({ kubeconfig: "users:\n- user:\n    client-key-data: AAAA" }, "x")).toEqual(["x.kubeconfig"]);
        expect(plainSecrets({ ok: "https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/calico.yaml" }, "x")).toEqual(
            [],
        );
    });
});

describe("secret stdout in an error", () => {
    // pulumi-command 1.2.1 puts a failed command's whole stdout and stderr in its error text, whatever
    // `logging` says (remote/commandOutputs.go), and the engine masks no secret output there.
    it("prints a step's secret only as its last statement, so that no failure can follow the print", async () => {
        const steps: string[] = [];
        for (const lab of [{}, { orchestrator: "kubernetes", managers: "3" }]) {
            const run = await runLab(lab as Record<string, string>);
            for (const step of run.resources.filter((r) => r.type === COMMAND && r.inputs.logging === "stderr")) {
                const lines = String(step.inputs.stdin).trimEnd().split("\n");
                const last = lines[lines.length - 1];
                expect(last, step.name).toMatch(/^(printf '[^']*' "\$[a-z]+"( "\$[a-z]+")*|cat "\$[A-Z_]+")$/);
                steps.push(step.name);
            }
        }
        expect(steps).toEqual(expect.arrayContaining(["swarm-init", "kubeadm-kubeconfig", "k8s-cp2-join-command", "k8s-w1-join-command"]));
    });
});
