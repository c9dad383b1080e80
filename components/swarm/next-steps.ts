import * as pulumi from "@pulumi/pulumi";
import type { LabNode } from "../nodes";

/**
 * lab:form nodes: the commands that form this lab's swarm by hand, with its real names and
 * addresses, as the course's first lesson types them (as the login user, who may run docker).
 */
export function swarmNextSteps(nodes: LabNode[]): pulumi.Output<string> {
    const [leader, ...others] = nodes;
    const names = (role: string) => others.filter((n) => n.role === role).map((n) => n.name);
    const workers = names("worker");
    const managers = names("manager");
    return pulumi.interpolate`The nodes are ready (Docker, every node's name in /etc/hosts, the Swarm ports open between them) and form no swarm yet.
1. On ${leader.name} (scripts/operator/lab.sh ssh ${leader.name}):
     docker swarm init --advertise-addr ${leader.instance.privateIp}
2. Still on ${leader.name}, print the join commands (they carry the tokens: keep them to yourself):
     docker swarm join-token worker
     docker swarm join-token manager
${[
    ...(workers.length > 0
        ? [`3. On ${workers.join(", ")}: run the worker's join command, which ends in ${leader.name}:2377 (or its address)`]
        : []),
    ...(managers.length > 0 ? [`   On ${managers.join(", ")}: run the manager's join command`] : []),
].join("\n")}
4. Back on ${leader.name}: docker node ls
To start again from unformed nodes: scripts/operator/lab.sh reset`;
}
