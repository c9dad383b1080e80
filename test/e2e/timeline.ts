// What one local `pulumi up` did and when: every remote command's start, dial and end, per phase,
// and the critical path (the chain of commands that decided the finish time).

export interface CommandRecord {
    name: string;
    urn: string;
    node: string;
    step: string;
    kind: "create" | "delete";
    /** Milliseconds since the run started. */
    start: number;
    /** When SSH answered; for a gate, boot -> SSH ends here. */
    dialed: number;
    end: number;
    code: number;
}

export interface EngineResource {
    urn: string;
    name: string;
    type: string;
    dependencies: string[];
    delete?: { command: string; connection: unknown };
}

export interface DeleteRecord {
    name: string;
    type: string;
    at: number;
    error?: string;
    /** The provider's Delete was not called: "skip-deleted-with" or "retain". */
    skipped?: string;
}

export interface Operation {
    urn: string;
    name: string;
    type: string;
    op: "create" | "same" | "update" | "replace" | "delete";
    reasons?: string[];
    changed?: string[];
}

export interface RunResult {
    ok: boolean;
    mode: string;
    error?: string;
    outputs: Record<string, { secret: boolean; value?: any }>;
    commands: CommandRecord[];
    instancesCreated: Record<string, number>;
    deleted: DeleteRecord[];
    resources?: EngineResource[];
    operations?: Operation[];
    /** The preview `pulumi up` runs first (a process of its own, dry run): how long, and its plan. */
    preview?: { ok: boolean; wallMs: number; operations: Operation[]; error?: string };
    wallMs: number;
}

const PHASES = ["gate", "hosts", "init", "join", "membership", "deploy"] as const;

export function phaseOf(step: string): string {
    return PHASES.find((p) => step === p || step.startsWith(`${p}-`)) ?? step;
}

/** The command URNs each command waited for, directly or through other resources. */
function commandAncestors(result: RunResult): Map<string, Set<string>> {
    const byUrn = new Map((result.resources ?? []).map((r) => [r.urn, r]));
    const commandUrns = new Set(result.commands.filter((c) => c.kind === "create").map((c) => c.urn));
    const ancestors = new Map<string, Set<string>>();
    for (const urn of commandUrns) {
        const seen = new Set<string>();
        const stack = [...(byUrn.get(urn)?.dependencies ?? [])];
        while (stack.length > 0) {
            const dep = stack.pop()!;
            if (seen.has(dep)) continue;
            seen.add(dep);
            stack.push(...(byUrn.get(dep)?.dependencies ?? []));
        }
        ancestors.set(urn, new Set([...seen].filter((u) => commandUrns.has(u))));
    }
    return ancestors;
}

/** From the last command to finish, back through the ancestor that finished last, to the first. */
export function criticalPath(result: RunResult): CommandRecord[] {
    const created = result.commands.filter((c) => c.kind === "create" && c.end > 0);
    const byUrn = new Map(created.map((c) => [c.urn, c]));
    const ancestors = commandAncestors(result);
    const path: CommandRecord[] = [];
    let current = [...created].sort((a, b) => b.end - a.end)[0];
    while (current) {
        path.unshift(current);
        const before = [...(ancestors.get(current.urn) ?? [])].map((u) => byUrn.get(u)).filter((c): c is CommandRecord => !!c);
        current = before.sort((a, b) => b.end - a.end)[0];
    }
    return path;
}

export interface JoinOverlap {
    count: number;
    /** Seconds during which every join was running at once (0 when they never all overlapped). */
    allAtOnceSeconds: number;
    /** Sum of the join durations over the span from the first start to the last end: N means fully parallel. */
    parallelism: number;
}

export function joinOverlap(result: RunResult): JoinOverlap {
    const joins = result.commands.filter((c) => c.kind === "create" && phaseOf(c.step) === "join");
    if (joins.length === 0) return { count: 0, allAtOnceSeconds: 0, parallelism: 0 };
    const latestStart = Math.max(...joins.map((j) => j.start));
    const earliestEnd = Math.min(...joins.map((j) => j.end));
    const span = Math.max(...joins.map((j) => j.end)) - Math.min(...joins.map((j) => j.start));
    const busy = joins.reduce((sum, j) => sum + (j.end - j.start), 0);
    return {
        count: joins.length,
        allAtOnceSeconds: Math.max(0, earliestEnd - latestStart) / 1000,
        parallelism: span > 0 ? Number((busy / span).toFixed(2)) : joins.length,
    };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** A printable timeline: boot -> SSH per node, each phase's span, and the critical path. */
export function formatTimeline(result: RunResult, title: string): string {
    const lines = [`== ${title}: ${result.ok ? "ok" : "FAILED"} in ${s(result.wallMs)}`];
    const creates = result.commands.filter((c) => c.kind === "create" && c.end > 0);
    for (const gate of creates.filter((c) => phaseOf(c.step) === "gate")) {
        const booted = result.instancesCreated[gate.node];
        if (booted !== undefined) lines.push(`   boot->SSH ${gate.node.padEnd(16)} ${s(gate.dialed - booted)}`);
    }
    for (const phase of PHASES) {
        const steps = creates.filter((c) => phaseOf(c.step) === phase);
        if (steps.length === 0) continue;
        const from = Math.min(...steps.map((c) => c.start));
        const to = Math.max(...steps.map((c) => c.end));
        lines.push(
            `   ${phase.padEnd(11)} x${String(steps.length).padEnd(3)} ${s(from).padStart(7)} -> ${s(to).padStart(7)}  (${s(to - from)})`,
        );
    }
    const ready = creates.find((c) => c.step === "deploy");
    if (ready) lines.push(`   ready (stack converged) at ${s(ready.end)}`);
    const path = criticalPath(result);
    lines.push(`   critical path (${path.length} stages): ${path.map((c) => `${c.name} ${s(c.end - c.start)}`).join(" -> ")}`);
    const overlap = joinOverlap(result);
    if (overlap.count > 0)
        lines.push(
            `   joins: ${overlap.count}, all running at once for ${overlap.allAtOnceSeconds.toFixed(1)}s, parallelism ${overlap.parallelism}`,
        );
    const ops = (result.operations ?? []).filter((o) => o.op !== "same" && o.op !== "delete");
    if (ops.length > 0) lines.push(`   ${ops.map((o) => `${o.op} ${o.name}${o.reasons ? ` (${o.reasons.join(", ")})` : ""}`).join("; ")}`);
    for (const d of result.deleted)
        lines.push(
            `   deleted ${d.name} at ${s(d.at)}${d.skipped ? ` (provider not called: ${d.skipped})` : ""}${d.error ? ` FAILED: ${d.error.split("\n")[0]}` : ""}`,
        );
    return lines.join("\n");
}
