import * as pulumi from "@pulumi/pulumi";
import type { Problem } from "./keys";

/**
 * Every problem of a configuration at once. A RunError: the Pulumi runtime logs its message alone as
 * the program's error and exits "already reported" (32), so the CLI prints no stack trace and adds
 * nothing (@pulumi/pulumi cmd/run/run.ts, its uncaught-error handler). Its stack is the message
 * alone too: the runtime still formats the error for its trace events, and a stack of source-mapped
 * frames costs that formatting seconds for nothing anyone reads.
 */
export class LabConfigError extends pulumi.RunError {
    /** Each problem's sentence. */
    readonly problems: string[];

    /** Each problem with the key it is about (a bare sentence has no key). */
    constructor(readonly details: readonly (Problem | string)[]) {
        const problems = details.map((d) => (typeof d === "string" ? d : d.message));
        super(`invalid lab configuration:\n  - ${problems.join("\n  - ")}`);
        this.problems = problems;
        this.name = "LabConfigError";
        this.stack = `${this.name}: ${this.message}`;
    }
}
