// The red-team corpus: every key with many wrong values, each of which must give exactly one error
// that names the key and says what is allowed, and right values that must pass. Prints the figures.
import { afterAll, describe, expect, it } from "vitest";
import { LAB_KEYS } from "../../components/config";
import { ORCHESTRATORS } from "../../components/orchestrators";
import { configProblems } from "../support/config";
import { CORPUS, GARBAGE, KeyCorpus, MISSPELT_KEYS } from "../support/config-corpus";

const ENV = { sshAgentSocket: "/tmp/agent.sock" };
/** What an error must say besides the key: what is allowed, or how to put it right. */
const SAYS_WHAT_IS_ALLOWED = /\b(must|needs?|choose|did you mean|keys are|keep one|remove it|set one)\b/;

const fullKey = (key: string) => (key.includes(":") ? key : `lab:${key}`);
const figures = { tried: 0, clear: 0, silentlyAccepted: 0, unclear: 0, rightTried: 0, rightRefused: 0 };
const label = (value: string) => (value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}... (${value.length})` : JSON.stringify(value));

/** Every wrong value of one corpus entry, classified; returns the ones that were not one clear error. */
function judge(entry: KeyCorpus, values: readonly string[]): string[] {
    const bad: string[] = [];
    for (const value of values) {
        const problems = configProblems({ ...entry.base, [entry.key]: value }, ENV);
        figures.tried++;
        const clear =
            problems.length === 1 && problems[0].startsWith(`${fullKey(entry.key)} is `) && SAYS_WHAT_IS_ALLOWED.test(problems[0]);
        if (clear) figures.clear++;
        else if (problems.length === 0) figures.silentlyAccepted++;
        else figures.unclear++;
        if (!clear)
            bad.push(`${entry.key}=${label(value)}${entry.base ? ` with ${JSON.stringify(entry.base)}` : ""}: ${JSON.stringify(problems)}`);
    }
    return bad;
}

describe("the red-team corpus", () => {
    it("covers every key the lab reads, and the region", () => {
        const covered = new Set(CORPUS.map((c) => c.key));
        expect(LAB_KEYS.filter((k) => !covered.has(k))).toEqual([]);
        expect(covered.has("aws:region")).toBe(true);
    });

    it.each(CORPUS.map((entry) => [`${entry.key}${entry.base ? ` (${JSON.stringify(entry.base)})` : ""}`, entry] as const))(
        "%s: each wrong value is one clear error naming the key",
        (_, entry) => {
            const region = entry.key === "aws:region";
            // An empty aws:region is no region set (the provider does the same): the environment's is used.
            const garbage = region ? GARBAGE.filter((g) => g.trim() !== "") : GARBAGE;
            const perKey =
                entry === CORPUS.find((c) => c.key === entry.key && c.base === entry.base) ? [...entry.wrong, ...garbage] : entry.wrong;
            expect(judge(entry, perKey)).toEqual([]);
        },
    );

    it("every orchestrator key is tried under its own orchestrator with the garbage too", () => {
        for (const [name, orchestrator] of Object.entries(ORCHESTRATORS)) {
            for (const key of Object.keys(orchestrator.keys)) {
                expect(judge({ key, base: { orchestrator: name }, wrong: [], right: [] }, GARBAGE)).toEqual([]);
            }
        }
    });

    it.each(MISSPELT_KEYS)("%s: one error naming the key", (key) => {
        const problems = configProblems({ [key]: "3" }, ENV);
        figures.tried++;
        const clear = problems.length === 1 && problems[0].startsWith(`${key} is not `) && SAYS_WHAT_IS_ALLOWED.test(problems[0]);
        if (clear) figures.clear++;
        else if (problems.length === 0) figures.silentlyAccepted++;
        else figures.unclear++;
        expect(problems, key).toHaveLength(1);
        expect(clear, problems[0]).toBe(true);
    });

    it("lets every right value pass", () => {
        const refused: string[] = [];
        const defaults = Object.entries(ORCHESTRATORS.kubernetes.keys).map(([key, k]) => ({
            key,
            base: { orchestrator: "kubernetes" },
            value: k.default,
        }));
        const rights = [
            ...CORPUS.flatMap((entry) => entry.right.map((value) => ({ key: entry.key, base: entry.base, value }))),
            ...defaults
                .filter((d) => typeof d.value === "string" || typeof d.value === "number")
                .map((d) => ({ ...d, value: String(d.value) })),
        ];
        for (const { key, base, value } of rights) {
            figures.rightTried++;
            const problems = configProblems({ ...base, [key]: value }, ENV);
            if (problems.length > 0) {
                figures.rightRefused++;
                refused.push(`${key}=${label(value)}: ${problems.join(" | ")}`);
            }
        }
        expect(refused).toEqual([]);
    });

    afterAll(() => {
        console.log(
            `red-team corpus: ${figures.tried} wrong values tried, ${figures.clear} clear errors, ` +
                `${figures.silentlyAccepted} silently accepted, ${figures.unclear} unclear; ${figures.rightTried} right values, ${figures.rightRefused} refused`,
        );
        expect(figures.silentlyAccepted).toBe(0);
    });
});
