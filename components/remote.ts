// The one place that builds remote.Command: how a node script is rendered and sent, the connection,
// dial retries, logging, secrets and re-runs.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DIALS } from "./timeouts";

/** A node script: a file that runs on a node as root, with its variables exported before it. */
export interface Script {
    /** File name, as failures name it. */
    name: string;
    path: string;
}

export function scriptIn(dir: string, name: string): Script {
    return { name, path: path.join(dir, name) };
}

/** Scripts the shared layers run on every node (the gate, the hosts block), and the prelude. */
export const NODE_SCRIPTS = path.join(__dirname, "..", "scripts", "node");
const PRELUDE = scriptIn(NODE_SCRIPTS, "prelude.sh");

/** How to reach one node over SSH. */
export interface NodeConnection {
    host: pulumi.Input<string>;
    user: string;
    /** Absent when the operator's own key is used through ssh-agent (lab:sshPublicKey). */
    privateKey?: pulumi.Input<string>;
    /** The node's SSH host key (authorized_keys format): the only key the connection accepts. */
    hostKey: pulumi.Input<string>;
}

export type ScriptEnv = Record<string, pulumi.Input<string | number | boolean>>;

export interface NodeCommandArgs {
    /** The node the command runs on; named in every failure message. */
    node: string;
    /** What the command does (gate, hosts, init, join, ...); named in every failure message. */
    step: string;
    connection: NodeConnection;
    script: Script;
    env?: ScriptEnv;
    /** Runs when the resource is deleted (node removed from the config, or destroy). */
    onDelete?: { script: Script; env?: ScriptEnv };
    /** stdout carries secrets (tokens, kubeconfig): never logged, stored as a secret output. */
    secretStdout?: boolean;
    /** SSH dial attempts before giving up. */
    dialErrorLimit?: number;
    /**
     * Instance ids whose change replaces the step (its delete hook runs for the old one). Not
     * replaceWith alone: an instance that `pulumi refresh` dropped (reclaimed, expired) comes back as
     * a create, which replaces nothing.
     */
    replaceOn?: pulumi.Input<string>[];
}

const texts = new Map<string, string>();

export function readScript(script: Script): string {
    let text = texts.get(script.path);
    if (text === undefined) {
        text = readFileSync(script.path, "utf8");
        texts.set(script.path, text);
    }
    return text;
}

export function scriptHash(script: Script): string {
    return createHash("sha256").update(readScript(script)).digest("hex").slice(0, 16);
}

export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The prelude, the script's variables exported, then the script: its own line numbers are the
 * rendered line minus LAB_BODY_OFFSET, which the prelude's failure trap subtracts.
 */
export function renderScript(script: Script, env: ScriptEnv = {}): pulumi.Output<string> {
    return pulumi
        .output(env as Record<string, pulumi.Input<string | number | boolean>>)
        .apply((values) => renderScriptText(script, values as Record<string, string | number | boolean>));
}

export function renderScriptText(script: Script, env: Record<string, string | number | boolean>): string {
    const exports = Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(String(value))}`);
    const header = [readScript(PRELUDE).trimEnd(), `export LAB_SCRIPT=${shellQuote(script.name)}`, ...exports].join("\n");
    const offset = header.split("\n").length + 1;
    return `${header}\nexport LAB_BODY_OFFSET=${offset}\n${readScript(script)}`;
}

/**
 * Runs the script that arrives on stdin from a file only root can read, removed afterwards. The
 * script never becomes a process argument (readable by any local user in `ps`) nor part of the
 * command that sudo logs, and the provider, which echoes this command when it fails, shows no secret.
 */
export const STDIN_RUNNER =
    'umask 077; f=$(mktemp /run/cluster-lab-step.XXXXXX); trap \'rm -f "$f"\' EXIT; cat >"$f"; bash "$f" </dev/null';

/** The command line run over SSH: which node and step (named in failures), then the runner. */
export function sudoScriptCommand(node: string, step: string): string {
    return `sudo -n env LAB_NODE=${node} LAB_STEP=${step} bash -c ${shellQuote(STDIN_RUNNER)}`;
}

function triggersOf(args: NodeCommandArgs): pulumi.Input<string>[] | undefined {
    const triggers = [...(args.onDelete ? [] : [scriptHash(args.script)]), ...(args.replaceOn ?? [])];
    return triggers.length > 0 ? triggers : undefined;
}

export function nodeCommand(name: string, args: NodeCommandArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const connection: command.types.input.remote.ConnectionArgs = {
        host: args.connection.host,
        user: args.connection.user,
        privateKey: args.connection.privateKey,
        hostKey: args.connection.hostKey,
        dialErrorLimit: args.dialErrorLimit ?? DIALS.command,
        perDialTimeout: DIALS.perDialSeconds,
    };
    const deleteScript = args.onDelete && renderScript(args.onDelete.script, args.onDelete.env);
    return new command.remote.Command(
        name,
        {
            connection,
            create: sudoScriptCommand(args.node, args.step),
            stdin: renderScript(args.script, args.env),
            // A delete command has no stdin of its own: its script travels inline (it carries no secrets).
            delete: deleteScript?.apply(
                (script) => `sudo -n env LAB_NODE=${args.node} LAB_STEP=${args.step}-delete bash -c ${shellQuote(script)}`,
            ),
            // A script change re-runs the step in place (stdin changed). The hash also goes into triggers,
            // which replace the resource, only for steps without a delete hook: replacing a membership
            // would run its node-removal hook after the new create.
            triggers: triggersOf(args),
            logging: args.secretStdout ? "stderr" : "stdoutAndStderr",
            addPreviousOutputInEnv: false,
        },
        {
            ...opts,
            additionalSecretOutputs: args.secretStdout ? ["stdout"] : undefined,
        },
    );
}
