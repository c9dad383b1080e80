// How a bad configuration reaches the user: the program runs through the Pulumi SDK's own entry
// point against a recording engine. A RunError (LabConfigError) is logged as one error, its message
// alone, without a stack trace, and the process exits 32: "already reported to the user", so the
// language host and the CLI add nothing (sdk/nodejs/cmd/run/run.ts, the uncaught-error handler).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../support/workflows";
import { runUnderEngine, SEVERITY } from "../support/fake-engine";

const STACK_FRAME = /^\s+at /m;
const errorsOf = (run: { logs: { severity: number; message: string }[] }) =>
    run.logs.filter((l) => l.severity === SEVERITY.error).map((l) => l.message);

describe("a configuration error, as pulumi up shows it", () => {
    it("is the LabConfigError's message alone: every problem, no stack trace, exit 32", async () => {
        const run = await runUnderEngine(root, { "aws:region": "ap-northeast-2", "lab:managers": "2", "lab:worker": "3" });
        expect(errorsOf(run)).toEqual([
            "invalid lab configuration:\n" +
                "  - lab:worker is not a key this lab reads: did you mean lab:workers? (pulumi config rm lab:worker)\n" +
                '  - lab:managers is "2": must be odd (1, 3, 5 or 7) so that Raft keeps a quorum',
        ]);
        expect(run.exitCode).toBe(32);
        expect(run.output).not.toMatch(STACK_FRAME);
    });

    it("differs from what any other error gets: 'unhandled exception' and its stack", async () => {
        // A short stack of its own keeps the runtime's formatting of it quick.
        const dir = mkdtempSync(join(tmpdir(), "plain-error-"));
        writeFileSync(
            join(dir, "index.js"),
            [
                "module.exports = async () => {",
                '    const err = new Error("lab:managers is wrong");',
                '    err.stack = "Error: lab:managers is wrong\\n    at program (index.js:2:17)";',
                "    throw err;",
                "};",
            ].join("\n"),
        );
        const run = await runUnderEngine(dir, {});
        expect(errorsOf(run)).toEqual([
            expect.stringMatching(/failed with an unhandled exception:\nError: lab:managers is wrong\n\s+at program/),
        ]);
    });
}, 120_000);
