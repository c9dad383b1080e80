// The config key table: each `lab:` key declared once with its parser, default, rule and the
// README's description. Parsing collects every problem instead of stopping at the first.
import { printable, shown } from "./shown";
import { didYouMean } from "./suggest";

export { shown } from "./shown";

/** Every config value the stack sets, by its full key ("lab:workers", "aws:region"), as Pulumi gives them. */
export type Settings = Readonly<Record<string, string>>;

/** Reads a raw config value by key (without the `lab:` namespace); undefined when unset. */
export type RawConfig = (key: string) => string | undefined;

/** The `lab:` values of these settings, by key without the namespace. */
export const labValues =
    (settings: Settings): RawConfig =>
    (key) =>
        settings[`lab:${key}`];

/** A value that failed its rule: `why` completes "lab:<key> is <value>: ...". */
export class Invalid {
    constructor(readonly why: string) {}
}

export interface Key<T> {
    readonly default: T;
    /** README columns. `shownDefault` when the default is not what String(default) prints. */
    readonly doc: { allowed: string; meaning: string; shownDefault?: string };
    parse(text: string): T | Invalid;
}

export type KeyTable = Record<string, Key<unknown>>;
export type Values<T extends KeyTable> = { [K in keyof T]: T[K] extends Key<infer V> ? V : never };

/** One problem of a configuration: the full key it is about, and the sentence that says it. */
export interface Problem {
    /** "lab:workers", "aws:region". */
    key: string;
    message: string;
    /** For a value that breaks a rule: the value as set, and why, without the key (for callers that name the key their own way). */
    value?: string;
    why?: string;
}

/**
 * Every problem of one configuration, each naming the key, the value and what is allowed. One
 * problem per key: a rule that reads a key already reported says nothing more about it, so one
 * mistake gives one error.
 */
export class Problems {
    readonly all: Problem[] = [];

    get list(): string[] {
        return this.all.map((p) => p.message);
    }

    bad(key: string, value: string, why: string, namespace = "lab"): void {
        this.add(`${namespace}:${key} is ${shown(value)}: ${why}`, `${namespace}:${key}`, { value, why: printable(why) });
    }

    /** A problem in words of its own, about a full key ("aws:region"). */
    add(message: string, key = "", detail: { value?: string; why?: string } = {}): void {
        if (key && this.has(key)) return;
        this.all.push({ key, message: printable(message), ...detail });
    }

    /** Whether this key (without namespace: a `lab:` key) already has a problem: its value is not the user's. */
    has(key: string): boolean {
        const full = key.includes(":") ? key : `lab:${key}`;
        return this.all.some((p) => p.key === full);
    }
}

/** Parses every key of a table from the raw config: a bad value is reported and replaced by the default. */
export function readKeys<T extends KeyTable>(table: T, raw: RawConfig, problems: Problems): Values<T> {
    const values: Record<string, unknown> = {};
    for (const [name, key] of Object.entries(table)) {
        const text = raw(name)?.trim();
        if (text === undefined) {
            values[name] = key.default;
            continue;
        }
        const value = key.parse(text);
        if (value instanceof Invalid) {
            problems.bad(name, text, value.why);
            values[name] = key.default;
        } else {
            values[name] = value;
        }
    }
    return values as Values<T>;
}

// ---------------------------------------------------------------------------------------------
// Key builders: one per kind of value.

interface Described {
    meaning: string;
    allowed?: string;
    shownDefault?: string;
}

export function integer(
    opts: Described & { default: number; min: number; max: number; rule?: (n: number) => string | undefined },
): Key<number> {
    return {
        default: opts.default,
        doc: { allowed: opts.allowed ?? `${opts.min}-${opts.max}`, meaning: opts.meaning, shownDefault: opts.shownDefault },
        parse(text) {
            const n = /^-?\d{1,9}$/.test(text) ? Number(text) : NaN;
            if (!Number.isInteger(n) || n < opts.min || n > opts.max)
                return new Invalid(`must be a whole number from ${opts.min} to ${opts.max}`);
            const problem = opts.rule?.(n);
            return problem ? new Invalid(problem) : n;
        },
    };
}

export function flag(opts: Described & { default: boolean }): Key<boolean> {
    return {
        default: opts.default,
        doc: { allowed: "`true`, `false`", meaning: opts.meaning },
        parse: (text) => (text === "true" ? true : text === "false" ? false : new Invalid("must be true or false")),
    };
}

export function choice<C extends string>(opts: Described & { default: C; choices: readonly C[] }): Key<C> {
    return {
        default: opts.default,
        doc: { allowed: opts.allowed ?? opts.choices.map((c) => `\`${c}\``).join(", "), meaning: opts.meaning },
        parse: (text) =>
            (opts.choices as readonly string[]).includes(text)
                ? (text as C)
                : new Invalid(`must be one of ${opts.choices.join(", ")}${didYouMean(text, opts.choices)}`),
    };
}

/** A value checked by its own function, which returns the parsed value or an Invalid. */
export function custom<T>(opts: Described & { default: T; allowed: string; parse: (text: string) => T | Invalid }): Key<T> {
    return {
        default: opts.default,
        doc: { allowed: opts.allowed, meaning: opts.meaning, shownDefault: opts.shownDefault },
        parse: opts.parse,
    };
}
