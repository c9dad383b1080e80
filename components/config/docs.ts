// The README's config table, generated from the key table: every key with its orchestrator,
// default, allowed values and meaning. `npm run docs:config` prints it; a test compares README.md.
import { ORCHESTRATORS } from "../orchestrators";
import { COMMON_KEYS } from "./common";
import { ORCHESTRATOR_KEY } from "./index";
import type { Key, KeyTable } from "./keys";
import { REGION_DOC } from "./region";

export const TABLE_START = "<!-- config-table -->";
export const TABLE_END = "<!-- /config-table -->";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
/** A default as the table shows it: code, unless it is already prose or code of its own. */
const shownDefault = (key: Key<unknown>) => {
    const text = key.doc.shownDefault ?? String(key.default);
    return text.includes("`") || text.startsWith("(") || text.includes(" ") ? text : `\`${text}\``;
};

function rows(table: KeyTable, orchestrator: string): string[] {
    return Object.entries(table).map(
        ([name, key]) =>
            `| \`lab:${name}\` | ${orchestrator} | ${cell(shownDefault(key))} | ${cell(key.doc.allowed)} | ${cell(key.doc.meaning)} |`,
    );
}

/** The whole table, header included, one row per key and orchestrator. */
export function configTable(): string {
    return [
        "| key | orchestrator | default | allowed | meaning |",
        "| --- | --- | --- | --- | --- |",
        `| \`aws:region\` | all | ${cell(REGION_DOC.shownDefault)} | ${cell(REGION_DOC.allowed)} | ${cell(REGION_DOC.meaning)} |`,
        ...rows({ orchestrator: ORCHESTRATOR_KEY }, "all"),
        ...rows(COMMON_KEYS, "all"),
        ...Object.entries(ORCHESTRATORS).flatMap(([name, orchestrator]) => rows(orchestrator.keys, name)),
    ].join("\n");
}

/** The table between the README's markers, or undefined when the markers are missing. */
export function readmeTable(readme: string): string | undefined {
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (start === -1 || end < start) return undefined;
    return readme.slice(start + TABLE_START.length, end).trim();
}

/** The README with this table between its markers. */
export function withTable(readme: string, table: string): string {
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (start === -1 || end < start) throw new Error(`README.md has no ${TABLE_START} ... ${TABLE_END} markers around its config table`);
    return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
