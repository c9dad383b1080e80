// The user data every instance gets: under EC2's limit for every orchestrator, OS and version, the
// same bytes on every run, and pinned per orchestrator, since any change to it replaces every node.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SUPPORTED_MINORS } from "../../components/kubernetes/versions";
import { packUserData, USER_DATA_LIMIT } from "../../components/nodes";
import { cloudConfigOf, INSTANCE, runLab } from "../harness";
import { TEST_HOST_KEY } from "../support/host-key";

const withRealHostKeys = (args: { type: string; inputs: Record<string, unknown> }) =>
    args.type === "tls:index/privateKey:PrivateKey" && args.inputs.algorithm === "ED25519"
        ? { state: { ...args.inputs, ...TEST_HOST_KEY } }
        : undefined;

const LABS: Record<string, Record<string, string>> = {
    "swarm debian-12": { os: "debian-12" },
    "swarm ubuntu-24.04": { os: "ubuntu-24.04" },
    ...Object.fromEntries(
        Object.keys(SUPPORTED_MINORS).flatMap((minor) =>
            ["debian-12", "ubuntu-24.04"].map((os) => [
                `kubernetes ${minor} ${os}`,
                { orchestrator: "kubernetes", kubernetesVersion: minor, os, cni: "calico" },
            ]),
        ),
    ),
};

const sha = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

describe("user data", () => {
    it.each(Object.entries(LABS))("%s: every node's is gzipped well under EC2's 16 KiB, the cloud-config intact", async (_, lab) => {
        const run = await runLab({ ...lab, managers: "3", workers: "2" }, withRealHostKeys);
        for (const instance of run.ofType(INSTANCE)) {
            expect(instance.inputs.userData).toBeUndefined();
            const packed = Buffer.from(String(instance.inputs.userDataBase64), "base64");
            expect(packed.length).toBeLessThan(USER_DATA_LIMIT / 2);
            const text = cloudConfigOf(instance);
            expect(text).toMatch(/^#cloud-config\n/);
            expect(text).toContain(TEST_HOST_KEY.privateKeyOpenssh.trim().split("\n")[1]);
            expect(text).toContain(`hostname: ${instance.name}\n`);
        }
    });

    it("is refused, naming the node, when even gzipped it is over the limit, as EC2 refuses it", () => {
        const incompressible = randomBytes(20_000).toString("base64");
        expect(() => packUserData("k8s-w1", `#cloud-config\n${incompressible}`)).toThrow(
            /^k8s-w1: its user data is \d+ bytes gzipped \(\d+ as text\); EC2 takes at most 16384$/,
        );
    });

    it("packs the same text to the same bytes every time, whatever zlib this Node.js has", () => {
        const text = `#cloud-config\n${"runcmd: [echo]\n".repeat(500)}`;
        const once = packUserData("n", text);
        expect(packUserData("n", text)).toBe(once);
        // gzip header: no file time, no name (the bytes do not depend on when or where they were made).
        const header = Buffer.from(once, "base64").subarray(0, 10);
        expect([...header.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
        expect(header.readUInt32LE(4)).toBe(0);
    });

    // A change here replaces every node of every running lab (userDataReplaceOnChange): the prelude,
    // the first-boot install, expire.sh, the units. Update the snapshot on purpose (vitest -u) and say
    // so in the change's notes.
    it("is pinned per orchestrator and OS: a change to it is a deliberate one", async () => {
        const pinned: Record<string, { cloudConfig: string; packed: string; bytes: number }> = {};
        for (const [label, lab] of Object.entries(LABS)) {
            const instance = (await runLab({ ...lab, managers: "1", workers: "1" }, withRealHostKeys)).ofType(INSTANCE)[0];
            pinned[label] = {
                cloudConfig: sha(cloudConfigOf(instance)),
                packed: sha(String(instance.inputs.userDataBase64)),
                bytes: Buffer.from(String(instance.inputs.userDataBase64), "base64").length,
            };
        }
        expect(pinned).toMatchSnapshot();
    });
});
