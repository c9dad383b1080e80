import type { CommonConfig } from "./config/common";
import { Socket } from "node:net";

/** Asks an AWS endpoint which public address this machine comes from (CLUSTER_LAB_CHECKIP_URL overrides it). */
export async function lookupPublicAddress(): Promise<string> {
    const url = process.env.CLUSTER_LAB_CHECKIP_URL ?? "https://checkip.amazonaws.com";
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.text()).trim();
}

/** Resolves once host:port accepts a TCP connection; rejects when timeoutMs has passed without one. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${host}:${port} did not accept a connection within ${Math.round(timeoutMs / 1000)}s`);
        if (await connects(host, port, Math.min(left, 10_000))) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(3000, Math.max(0, deadline - Date.now()))));
    }
}

function connects(host: string, port: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = new Socket();
        const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once("error", () => done(false));
        socket.connect(port, host, () => done(true));
    });
}

/** Where this run comes from, as a failure to reach a node names it: its address and lab:allowedCidr. */
export function fromThisMachine(config: CommonConfig): string {
    const allowed = config.allowedCidrs.join(",");
    return config.operatorAddress
        ? `this machine's address ${config.operatorAddress}, which lab:allowedCidr (${allowed}) admits`
        : `this machine, whose address could not be looked up (lab:allowedCidr is ${allowed})`;
}

/** Whether an ssh-agent answers on the unix socket; the connect error's code when none does. */
export function agentAnswers(socketPath: string, timeoutMs = 3000): Promise<true | string> {
    return new Promise((resolve) => {
        const socket = new Socket();
        const done = (result: true | string) => {
            socket.destroy();
            resolve(result);
        };
        socket.setTimeout(timeoutMs, () => done("no answer"));
        socket.once("error", (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
        socket.connect({ path: socketPath }, () => done(true));
    });
}

/**
 * What the program asks of the operator's own machine and network: its public address, whether a
 * node's port answers yet, whether the ssh-agent of SSH_AUTH_SOCK answers. The unit tests replace both (their nodes have documentation addresses); the
 * end-to-end test runs them for real.
 */
export const operatorNetwork = { lookupAddress: lookupPublicAddress, waitForPort, agentAnswers };
