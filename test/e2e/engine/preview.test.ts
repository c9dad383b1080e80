// The preview `pulumi up` runs before every update (https://www.pulumi.com/docs/iac/cli/commands/pulumi_up/):
// the program runs as a dry run, the engine plans each resource and calls no provider, outputs not
// yet known are unknown, and nothing is written. Run here on a lab the cloud has never seen: no VM,
// no root, only the cloud's state file.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyState, readState, writeState } from "../cloud/state";
import { DEBIAN_OWNER } from "../cloud/vms";
import type { RunResult } from "../timeline";

const ENGINE = path.join(__dirname, "run.ts");
let checkip: Server;
let checkipUrl = "";

beforeAll(async () => {
    checkip = createServer((_req, res) => res.end("198.51.100.7\n"));
    await new Promise<void>((resolve) => checkip.listen(0, "127.0.0.1", resolve));
    checkipUrl = `http://127.0.0.1:${(checkip.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => checkip.close(resolve)));

function engine(mode: string, stateDir: string): { code: number | null; result: RunResult; output: string } {
    const resultFile = path.join(stateDir, `${mode}.json`);
    const run = spawnSync(process.execPath, ["--import", "tsx", ENGINE], {
        encoding: "utf8",
        timeout: 240_000,
        env: {
            ...process.env,
            E2E_MODE: mode,
            E2E_STATE: stateDir,
            E2E_CONFIG: JSON.stringify({ allowedCidr: "198.51.100.0/24", managers: "1", workers: "1" }),
            E2E_RESULT: resultFile,
            CLUSTER_LAB_CHECKIP_URL: checkipUrl,
        },
    });
    return { code: run.status, result: JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunResult, output: run.stdout + run.stderr };
}

describe("the engine's preview", () => {
    it("plans every resource of a new lab as a create, launches nothing and writes no state", () => {
        const stateDir = fs.mkdtempSync(path.join(tmpdir(), "cluster-lab-preview-"));
        try {
            const image = { id: "ami-1", name: "debian-12-amd64-20261101-1", architecture: "x86_64", ownerId: DEBIAN_OWNER };
            writeState(path.join(stateDir, "cloud.json"), {
                ...emptyState(),
                images: [{ ...image, creationDate: "2026-11-01T00:00:00.000Z", virtualizationType: "hvm" }],
            });
            const { code, result, output } = engine("preview", stateDir);
            expect(result.error, output.slice(-2000)).toBeUndefined();
            expect(code).toBe(0);
            const ops = new Map((result.operations ?? []).map((o) => [o.name, o.op]));
            for (const name of ["swarm-manager1", "swarm-worker1", "swarm-manager1-gate", "swarm-init", "swarm-worker1-join", "lab-public"])
                expect(ops.get(name), name).toBe("create");
            expect(result.commands).toEqual([]);
            const cloud = readState(path.join(stateDir, "cloud.json"));
            expect(cloud.instances).toEqual({});
            expect(cloud.subnets).toEqual({});
            expect(fs.existsSync(path.join(stateDir, "engine", "checkpoint.json"))).toBe(false);
        } finally {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });
});
