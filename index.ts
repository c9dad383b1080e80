// Composition root: config -> network -> nodes -> hosts -> cluster -> sample apps -> outputs.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesApp } from "./components/apps/kubernetes-app";
import { LabLoadBalancer } from "./components/apps/load-balancer";
import { SwarmStack } from "./components/apps/swarm-stack";
import { LabConfig, loadLabConfig } from "./components/config";
import { LabHosts } from "./components/hosts";
import { KubeadmCluster } from "./components/kubeadm";
import { LabNetwork } from "./components/network";
import { LabNode, LabNodes, roleName } from "./components/nodes";
import { SwarmCluster } from "./components/swarm";
import { labExpiry, labTags } from "./components/tags";

/** The Swarm and its sample stack; outputs `services`. */
function swarmLab(config: LabConfig, nodes: LabNode[], hosts: command.remote.Command[]) {
    const swarm = new SwarmCluster("swarm", { config, nodes, hosts });
    const stack = new SwarmStack("stack", { config, leader: swarm.leader, cluster: [swarm.init, ...swarm.joins] });
    return { services: stack.deploy.stdout };
}

/** The kubeadm cluster and its sample app; outputs `kubeconfig` (secret). */
function kubernetesLab(config: LabConfig, nodes: LabNode[], hosts: command.remote.Command[]) {
    const cluster = new KubeadmCluster("kubeadm", { config, nodes, hosts });
    new KubernetesApp("app", { config, provider: cluster.provider });
    return { kubeconfig: cluster.kubeconfig };
}

export = async () => {
    const config = await loadLabConfig();
    const expiresAt = labExpiry(config);
    const tags = labTags(config, expiresAt);

    const network = new LabNetwork("lab", { config, tags });
    const lab = new LabNodes("lab", {
        config, tags, subnetId: network.subnet.id, securityGroupId: network.securityGroup.id,
    });
    const hosts = new LabHosts("hosts", { nodes: lab.nodes });
    const cluster = config.orchestrator === "kubernetes"
        ? kubernetesLab(config, lab.nodes, hosts.commands)
        : swarmLab(config, lab.nodes, hosts.commands);
    const loadBalancer = config.loadBalancer
        ? new LabLoadBalancer("lab", { config, tags, vpcId: network.vpc.id, subnetId: network.subnet.id, nodes: lab.nodes })
        : undefined;

    const keyFile = `${config.labName}.pem`;
    return {
        nodes: lab.nodes.map((n) => ({
            name: n.name, role: roleName(config.orchestrator, n.role), publicIp: n.instance.publicIp, privateIp: n.instance.privateIp,
        })),
        sshCommands: lab.nodes.map((n) => lab.privateKey
            ? pulumi.interpolate`ssh -i ${keyFile} ${n.connection.user}@${n.instance.publicIp}`
            : pulumi.interpolate`ssh ${n.connection.user}@${n.instance.publicIp}`),
        // publishedPort is the NodePort under kubernetes: it answers on every node.
        nginxUrls: lab.nodes.map((n) => pulumi.interpolate`http://${n.instance.publicIp}:${config.publishedPort}`),
        ...cluster,
        ...(loadBalancer ? { loadBalancerUrl: loadBalancer.url } : {}),
        privateKey: lab.privateKey,
        expiresAt,
    };
};
