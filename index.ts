// Composition root: config -> network -> nodes -> hosts -> cluster -> sample apps -> outputs.
import * as pulumi from "@pulumi/pulumi";
import { SwarmStack } from "./components/apps/swarm-stack";
import { loadLabConfig } from "./components/config";
import { LabHosts } from "./components/hosts";
import { LabNetwork } from "./components/network";
import { LabNodes } from "./components/nodes";
import { SwarmCluster } from "./components/swarm";
import { labExpiry, labTags } from "./components/tags";

export = async () => {
    const config = await loadLabConfig();
    const expiresAt = labExpiry(config);
    const tags = labTags(config, expiresAt);

    const network = new LabNetwork("lab", { config, tags });
    const lab = new LabNodes("lab", {
        config, tags, subnetId: network.subnet.id, securityGroupId: network.securityGroup.id,
    });
    const hosts = new LabHosts("hosts", { nodes: lab.nodes });
    const swarm = new SwarmCluster("swarm", { config, nodes: lab.nodes, hosts: hosts.commands });
    const stack = new SwarmStack("stack", { config, leader: swarm.leader, cluster: [swarm.init, ...swarm.joins] });

    const keyFile = `${config.labName}.pem`;
    return {
        nodes: lab.nodes.map((n) => ({
            name: n.name, role: n.role, publicIp: n.instance.publicIp, privateIp: n.instance.privateIp,
        })),
        sshCommands: lab.nodes.map((n) => lab.privateKey
            ? pulumi.interpolate`ssh -i ${keyFile} ${n.connection.user}@${n.instance.publicIp}`
            : pulumi.interpolate`ssh ${n.connection.user}@${n.instance.publicIp}`),
        nginxUrls: lab.nodes.map((n) => pulumi.interpolate`http://${n.instance.publicIp}:${config.publishedPort}`),
        services: stack.deploy.stdout,
        privateKey: lab.privateKey,
        expiresAt,
    };
};
