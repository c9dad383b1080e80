import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";

export const SCRIPTS_DIR = path.join(__dirname, "..", "scripts");

/** How to reach one node over SSH. */
export interface NodeConnection {
    host: pulumi.Input<string>;
    user: string;
    /** Absent when the operator's own key is used through ssh-agent (lab:sshPublicKey). */
    privateKey?: pulumi.Input<string>;
}

export type ScriptEnv = Record<string, pulumi.Input<string | number | boolean>>;

export interface NodeCommandArgs {
    /** The node the command runs on; named in every failure message. */
    node: string;
    /** What the command does (gate, hosts, init, join, ...); named in every failure message. */
    step: string;
    connection: NodeConnection;
    /** File name under scripts/. */
    script: string;
    env?: ScriptEnv;
    /** Runs when the resource is deleted (node removed from the config, or destroy). */
    onDelete?: { script: string; env?: ScriptEnv };
    /** stdout carries secrets (tokens, kubeconfig): never logged, stored as a secret output. */
    secretStdout?: boolean;
    /** SSH dial attempts before giving up; the readiness gate raises it to wait for boot. */
    dialErrorLimit?: number;
}

const scriptCache = new Map<string, string>();

export function readScript(file: string): string {
    let text = scriptCache.get(file);
    if (text === undefined) {
        text = readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
        scriptCache.set(file, text);
    }
    return text;
}

export function scriptHash(file: string): string {
    return createHash("sha256").update(readScript(file)).digest("hex").slice(0, 16);
}

/** Names the node and step, and the line that failed, above the output the provider reports. */
const FAILURE_TRAP =
    `set -eEuo pipefail\ntrap 'rc=$?; echo "cluster-lab: step \${LAB_STEP:-?} failed on node \${LAB_NODE:-?} (line $LINENO, exit $rc)" >&2' ERR`;

export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The script text with its variables exported at the top; secrets stay secret through the Output. */
export function renderScript(file: string, env: ScriptEnv = {}): pulumi.Output<string> {
    const body = readScript(file).replace(/^#!.*\n/, "");
    return pulumi.all(Object.entries(env).map(([key, value]) =>
        pulumi.output(value).apply((v) => `export ${key}=${shellQuote(String(v))}`)))
        .apply((exports) => [FAILURE_TRAP, ...exports, body].join("\n"));
}

/**
 * The command line run over SSH. The script arrives on stdin, so neither the script nor any secret
 * in its variables is part of the command line, which the provider echoes when a command fails.
 */
export function sudoScriptCommand(node: string, step: string): string {
    return `sudo -n env LAB_NODE=${node} LAB_STEP=${step} bash -c "$(cat)"`;
}

/** The one place that builds remote.Command: connection, dial retries, logging, secrets, re-runs. */
export function nodeCommand(name: string, args: NodeCommandArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const connection: command.types.input.remote.ConnectionArgs = {
        host: args.connection.host,
        user: args.connection.user,
        privateKey: args.connection.privateKey,
        dialErrorLimit: args.dialErrorLimit ?? 10,
        perDialTimeout: 15,
    };
    const deleteScript = args.onDelete && renderScript(args.onDelete.script, args.onDelete.env);
    return new command.remote.Command(name, {
        connection,
        create: sudoScriptCommand(args.node, args.step),
        stdin: renderScript(args.script, args.env),
        // A delete command has no stdin of its own: its script travels inline (it carries no secrets).
        delete: deleteScript?.apply((script) => `sudo -n env LAB_NODE=${args.node} LAB_STEP=${args.step}-delete bash -c ${shellQuote(script)}`),
        // A script change re-runs the step in place (stdin changed). The hash also goes into triggers,
        // which replace the resource, only for steps without a delete hook: replacing a membership
        // would run its node-removal hook after the new create.
        triggers: args.onDelete ? undefined : [scriptHash(args.script)],
        logging: args.secretStdout ? "stderr" : "stdoutAndStderr",
        addPreviousOutputInEnv: false,
    }, {
        ...opts,
        additionalSecretOutputs: args.secretStdout ? ["stdout"] : undefined,
    });
}
