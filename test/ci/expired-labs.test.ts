// scripts/ci/expired-labs.sh, the sweeper's decision, on recorded Pulumi JSON; and that the
// recordings are in the CLI's real formats.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXPIRED_LABS as script, execute, fixtures, NOW, sweep, work } from "../support/workflows";

describe("scripts/ci/expired-labs.sh (the sweeper's decision)", () => {
    it("prints exactly the expired labs, in listing order, and keeps live ones", () => {
        const r = sweep("stack-ls.json");
        expect(r.status).toBe(0);
        expect(r.expired).toEqual(["alice", "erin", "frank", "grace"]);
        expect(r.statusOf).toEqual({
            alice: "expired",
            bob: "live",
            carol: "unlabelled",
            dave: "malformed",
            erin: "expired",
            frank: "expired",
            grace: "expired",
        });
        expect(r.stderr).not.toMatch(/bob/);
    });

    it("reports unlabelled labs (ttl 0: ExpiresAt never) without destroying them", () => {
        const r = sweep("stack-ls.json");
        expect(r.expired).not.toContain("carol");
        expect(r.stderr).toMatch(/unlabelled: carol .*not destroyed/);
    });

    it("reads the expiry of a lab whose first update failed (no outputs) from the ExpiresAt tag in its state", () => {
        const r = sweep("stack-ls.json");
        expect(r.expired).toContain("frank");
        expect(r.report).toContain(
            "frank\texpired\t2026-03-10T10:00:00Z\tpast the ExpiresAt tag in its state (no outputs: its last update failed)",
        );
        expect(r.calls.filter((c) => c.startsWith("stack export"))).toEqual(["stack export --stack carol", "stack export --stack frank"]);
        // A stack that never got a resource stays unlabelled.
        expect(sweep("stack-ls.json", { FAKE_OUTPUTS: join(work, "no-fixtures") }).calls).toContain("stack output --stack frank --json");
    });

    it("reports a malformed expiresAt and keeps that lab", () => {
        const r = sweep("stack-ls.json");
        expect(r.expired).not.toContain("dave");
        expect(r.stderr).toMatch(/malformed: dave .*not destroyed/);
        expect(r.report).toContain("dave\tmalformed\tnext tuesday\t");
    });

    it("compares instants: the boundary second, fractions and UTC offsets", () => {
        // alice expires at 09:30:12Z: expired from that second on, not before.
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T09:30:11Z" }).statusOf.alice).toBe("live");
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T09:30:12Z" }).statusOf.alice).toBe("expired");
        // erin: 20:59:58.250+09:00 is 11:59:58.25 UTC.
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T11:59:58Z" }).statusOf.erin).toBe("live");
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T11:59:58.3Z" }).statusOf.erin).toBe("expired");
        // NOW itself may carry an offset: 21:00+09:00 is the fixtures' 12:00Z.
        expect(sweep("stack-ls.json", { NOW: "2026-03-10T21:00:00+09:00" }).expired).toEqual(["alice", "erin", "frank", "grace"]);
        // Hours later every labelled lab is expired; unlabelled and malformed ones still are not.
        expect(sweep("stack-ls.json", { NOW: "2026-03-11T00:00:00Z" }).expired).toEqual(["alice", "bob", "erin", "frank", "grace"]);
    });

    it("keeps a lab whose update is in progress and one whose outputs cannot be read (Pulumi Cloud listing)", () => {
        const r = sweep("stack-ls-cloud.json");
        expect(r.status).toBe(0);
        expect(r.expired).toEqual([]);
        expect(r.statusOf).toEqual({ heidi: "busy", ivan: "live", judy: "error" });
        expect(r.stderr).toMatch(/busy: heidi/);
        expect(r.stderr).toMatch(/error: judy .*not destroyed/);
    });

    it("handles zero stacks: [] and the empty output of older CLIs", () => {
        const empty = sweep("stack-ls-empty.json");
        expect(empty.status).toBe(0);
        expect(empty.stdout).toBe("");
        expect(empty.report).toBe("");
        const nothing = join(work, "nothing.json");
        writeFileSync(nothing, "");
        const r = execute(["bash", script], { FAKE_STACKS: nothing, NOW });
        expect(r.status).toBe(0);
        expect(r.stdout).toBe("");
    });

    it("fails instead of guessing when the listing or NOW is unusable", () => {
        expect(execute(["bash", script], { FAKE_STACKS: "FAIL", NOW }).status).toBe(1);
        const notArray = join(work, "not-array.json");
        writeFileSync(notArray, '{"name": "alice"}');
        const bad = execute(["bash", script], { FAKE_STACKS: notArray, NOW });
        expect(bad.status).toBe(1);
        expect(bad.stdout).toBe("");
        for (const now of ["tomorrow", "2026-03-10T12:00:00", "2026-02-30T12:00:00Z", "2026-03-10 12:00:00Z"]) {
            const r = sweep("stack-ls.json", { NOW: now });
            expect(r.status, now).toBe(2);
            expect(r.stdout, now).toBe("");
        }
    });

    it("asks Pulumi only for the listing, each stack's plain outputs, and the state of those without expiresAt", () => {
        const r = sweep("stack-ls.json");
        expect(r.calls[0]).toBe("stack ls --json");
        expect(r.calls.slice(1).filter((c) => c.startsWith("stack output"))).toEqual(
            ["alice", "bob", "carol", "dave", "erin", "frank", "grace"].map((s) => `stack output --stack ${s} --json`),
        );
        expect(r.calls.slice(1).filter((c) => !c.startsWith("stack output"))).toEqual([
            "stack export --stack carol",
            "stack export --stack frank",
        ]);
    });

    it("defaults NOW to the clock", () => {
        // The fixtures lie in the past of any clock that runs this test.
        const r = execute(["bash", script], { FAKE_STACKS: join(fixtures, "stack-ls.json") });
        expect(r.status).toBe(0);
        expect(r.stdout.split("\n").filter(Boolean)).toEqual(["alice", "bob", "erin", "frank", "grace"]);
    });

    it("is shellcheck-clean", () => {
        const r = spawnSync("shellcheck", [script], { encoding: "utf8" });
        expect(r.error, "shellcheck must be installed (apt-get install shellcheck)").toBeUndefined();
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });
});

describe("recorded fixtures are in Pulumi's real formats", () => {
    it("stack ls --json: an array of {name, current, lastUpdate?, updateInProgress, resourceCount?, url?}", () => {
        const allowed = new Set(["name", "current", "lastUpdate", "updateInProgress", "resourceCount", "url"]);
        for (const f of ["stack-ls.json", "stack-ls-cloud.json", "stack-ls-empty.json"]) {
            const stacks = JSON.parse(readFileSync(join(fixtures, f), "utf8")) as Record<string, unknown>[];
            expect(Array.isArray(stacks)).toBe(true);
            for (const s of stacks) {
                expect(
                    Object.keys(s).every((k) => allowed.has(k)),
                    JSON.stringify(s),
                ).toBe(true);
                expect(typeof s.name).toBe("string");
                expect(typeof s.current).toBe("boolean");
            }
        }
    });

    it("stack output --json: the program's outputs, secrets shown only as [secret]", () => {
        const alice = JSON.parse(readFileSync(join(fixtures, "outputs-alice.json"), "utf8")) as Record<string, unknown>;
        expect(Object.keys(alice)).toEqual([...Object.keys(alice)].sort()); // the CLI sorts keys
        expect(alice).toMatchObject({ privateKey: "[secret]", expiresAt: "2026-03-10T09:30:12Z" });
        expect(alice.nodes).toHaveLength(3);
        expect(alice.nginxUrls).toHaveLength(3);
    });
});
