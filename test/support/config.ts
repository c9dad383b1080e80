// Parsing a configuration the way the program does, for the config tests.
import { expect } from "vitest";
import { LabConfigError, LabEnvironment, parseLabConfig, Settings } from "../../components/config";

export const ENV: LabEnvironment = { labName: "dev", region: "ap-northeast-2" };

/** The stack's settings for these values: keys without a namespace are `lab:` keys. */
export const raw = (values: Record<string, string>): Settings =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k.includes(":") ? k : `lab:${k}`, v]));

/** The validated configuration of these `lab:` values (an object to match against). */
export function configOf(values: Record<string, string>, env: Partial<LabEnvironment> = {}): Record<string, any> {
    return parseLabConfig(raw(values), { ...ENV, ...env });
}

/** The problems LabConfigError lists for these values (empty when they are valid). */
export function configProblems(values: Record<string, string>, env: Partial<LabEnvironment> = {}): string[] {
    try {
        parseLabConfig(raw(values), { ...ENV, ...env });
        return [];
    } catch (err) {
        expect(err).toBeInstanceOf(LabConfigError);
        return (err as LabConfigError).problems;
    }
}

/** The one problem these values have (fails unless there is exactly one). */
export function onlyProblem(values: Record<string, string>, env: Partial<LabEnvironment> = {}): string {
    const problems = configProblems(values, env);
    expect(problems, JSON.stringify(values).slice(0, 200)).toHaveLength(1);
    return problems[0];
}

/** The message of the LabConfigError these values raise. */
export function configError(values: Record<string, string>, env: Partial<LabEnvironment> = {}): string {
    try {
        parseLabConfig(raw(values), { ...ENV, ...env });
    } catch (err) {
        expect(err).toBeInstanceOf(LabConfigError);
        return (err as Error).message;
    }
    throw new Error(`expected a LabConfigError for ${JSON.stringify(values)}`);
}
