// The handle never reads a stale result and never mistakes a dead engine for a success.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LocalLab } from "./local-lab";
import { ssh } from "./ssh";

// The cloud reads its state dir when constructed: keep these runs away from a real lab's.
process.env.E2E_STATE = fs.mkdtempSync(path.join(os.tmpdir(), "local-lab-"));

const lab = new LocalLab({ engine: path.join(__dirname, "fixtures", "dying-engine.ts"), outside: () => [] });
const run = (fixture: string) => {
    process.env.E2E_FIXTURE = fixture;
    return lab.destroy({ title: fixture });
};

describe("LocalLab runs", () => {
    it("a run that writes its result and exits 0 is a success", async () => {
        expect((await run("ok")).ok).toBe(true);
    });

    it("an engine killed by a signal is a failed run with its output, never an earlier run's result", async () => {
        expect((await run("ok")).ok).toBe(true);
        const result = await run("killed");
        expect(result.ok).toBe(false);
        expect(result.error).toMatch(/signal SIGKILL/);
        expect(result.error).toContain("about to die");
    });

    it("an engine that exits without a result, or crashes after writing one, is a failed run", async () => {
        expect(await run("exit-without-result")).toMatchObject({ ok: false, error: expect.stringContaining("nothing written") });
        expect(await run("ok-then-crash")).toMatchObject({ ok: false, error: expect.stringContaining("write EPIPE") });
    });
});

describe("ssh", () => {
    it("a refused port ends as a failed result (stdin's EPIPE included), never a crash", async () => {
        const result = await ssh(
            { host: "127.0.0.1", user: "nobody", connectTimeoutS: 3, prefix: [] },
            "true",
            "x".repeat(1 << 20),
            20_000,
            process.env.E2E_STATE!,
        );
        expect(result.code).toBe(255);
        expect(result.stderr).not.toBe("");
    });
});
