// pulumi-command (1.2.1) dials the agent of SSH_AUTH_SOCK before every SSH connection, even with the
// lab's own key, and a socket where no agent answers (a forwarded agent whose session ended) fails
// every node step at once with "dial unix ...". The program reads the environment the provider gets
// (both are the CLI's children), so it names the problem before any step runs.
import * as pulumi from "@pulumi/pulumi";
import { operatorNetwork } from "./operator-network";

/** Why the SSH agent setting would fail every node command, or undefined. */
export function agentProblem(socketPath: string | undefined, answer: true | string, ownKey: boolean): string | undefined {
    if (socketPath === undefined || socketPath === "" || answer === true) return undefined;
    const fix = ownKey
        ? "start the agent that holds the key of lab:sshPublicKey and point SSH_AUTH_SOCK at it"
        : "unset it for this run (env -u SSH_AUTH_SOCK pulumi up; scripts/operator/lab.sh does so itself) or start an agent (eval $(ssh-agent))";
    return (
        `SSH_AUTH_SOCK is ${socketPath}, where no ssh-agent answers (${answer}): the command provider dials it before every SSH ` +
        `connection, even with the lab's own key, and every node step would fail. ${fix[0].toUpperCase()}${fix.slice(1)}.`
    );
}

/** Fails the run with a RunError when SSH_AUTH_SOCK names a socket where no agent answers. */
export async function checkSshAgent(ownKey: boolean, env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const socketPath = env.SSH_AUTH_SOCK?.trim();
    if (!socketPath) return;
    const problem = agentProblem(socketPath, await operatorNetwork.agentAnswers(socketPath), ownKey);
    if (problem) throw new pulumi.RunError(problem);
}
