// Merges a lab's kubeconfig into ~/.kube/config (or the first file of $KUBECONFIG) under the lab's own
// names: an earlier entry of the same lab is replaced, every other cluster, user and context is kept,
// the current context is kept unless there was none. A copy of the old file is left beside it.
//   tsx scripts/operator/merge-kubeconfig.ts <lab kubeconfig> [target]
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

interface Named {
    name: string;
}
interface Kubeconfig {
    apiVersion?: string;
    kind?: string;
    "current-context"?: string;
    clusters?: Named[];
    users?: Named[];
    contexts?: (Named & { context?: { cluster?: string; user?: string } })[];
    [other: string]: unknown;
}

export function mergeKubeconfig(target: Kubeconfig, lab: Kubeconfig): Kubeconfig {
    const replace = <T extends Named>(kept: T[] | undefined, added: T[] | undefined): T[] => {
        const names = new Set((added ?? []).map((entry) => entry.name));
        return [...(kept ?? []).filter((entry) => !names.has(entry.name)), ...(added ?? [])];
    };
    return {
        apiVersion: "v1",
        kind: "Config",
        ...target,
        clusters: replace(target.clusters, lab.clusters),
        users: replace(target.users, lab.users),
        contexts: replace(target.contexts, lab.contexts),
        "current-context": target["current-context"] || lab["current-context"],
    };
}

function main(): void {
    const [labFile, targetArg] = process.argv.slice(2);
    if (!labFile) {
        console.error("usage: merge-kubeconfig.ts <lab kubeconfig> [target]");
        process.exit(2);
    }
    const target = targetArg ?? process.env.KUBECONFIG?.split(":")[0] ?? path.join(homedir(), ".kube", "config");
    const lab = parse(readFileSync(labFile, "utf8")) as Kubeconfig;
    const context = lab["current-context"];
    if (!context || !lab.contexts?.some((c) => c.name === context)) {
        console.error(`${labFile} names no current context: not a kubeconfig of a lab`);
        process.exit(1);
    }
    let existing: Kubeconfig = {};
    if (existsSync(target)) {
        copyFileSync(target, `${target}.before-${context}`);
        existing = (parse(readFileSync(target, "utf8")) as Kubeconfig | null) ?? {};
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, stringify(mergeKubeconfig(existing, lab)), { mode: 0o600 });
    console.log(`merged into ${target} as context ${context}: kubectl --context ${context} get nodes`);
}

if (process.argv[1] && /merge-kubeconfig\.[cm]?[jt]s$/.test(process.argv[1])) main();
