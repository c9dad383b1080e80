// Composition root: config -> network -> nodes -> hosts -> the orchestrator's cluster -> outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadLab } from "./components/config";
import { LabHosts } from "./components/hosts";
import { LabLoadBalancer } from "./components/load-balancer";
import { LabNetwork } from "./components/network";
import { LabNodes } from "./components/nodes";
import { regionGuard } from "./components/region-guard";
import { checkSshAgent } from "./components/ssh-agent";
import { loadBalancerHealthChecks } from "./components/ports";
import { labExpiry, labTags } from "./components/tags";

export = async () => {
    const lab = await loadLab();
    const { config } = lab;
    await checkSshAgent(config.sshPublicKey !== undefined);
    const expiresAt = labExpiry(config);
    const tags = labTags(config, expiresAt);

    const ports = config.loadBalancer ? [...lab.ports, loadBalancerHealthChecks(lab.publishedPort)] : lab.ports;
    // Nothing of the lab registers before the checks: children wait for their component's URN.
    const guard = pulumi.all([regionGuard(config.region), lab.guard?.() ?? []]).apply((all) => all.flat());
    const instanceTypes = [...new Set(lab.nodes.map((node) => lab.instanceType(node.role)))];
    const network = new LabNetwork("lab", { config, ports, instanceTypes, tags }, { dependsOn: guard });
    const machines = new LabNodes(
        "lab",
        {
            lab,
            tags,
            subnetId: network.nodeSubnetId,
            securityGroupId: network.securityGroup.id,
            internetRoute: network.internetRoute,
        },
        { dependsOn: guard },
    );
    const { nodes } = new LabHosts("hosts", { nodes: machines.nodes });
    const cluster = lab.build(
        {
            nodes,
            tags,
            network: {
                vpcId: network.vpc.id,
                subnetId: network.subnet.id,
                securityGroupId: network.securityGroup.id,
                internetRoute: network.internetRoute,
            },
        },
        {},
    );
    const loadBalancer = config.loadBalancer
        ? new LabLoadBalancer("lab", {
              config,
              tags,
              port: lab.publishedPort,
              vpcId: network.vpc.id,
              subnetId: network.subnet.id,
              nodes,
              internetRoute: network.internetRoute,
          })
        : undefined;

    const keyFile = `${config.labName}.pem`;
    return {
        lab: { orchestrator: config.orchestrator, region: config.region, spot: config.spot },
        nodes: nodes.map((n) => ({
            name: n.name,
            role: lab.roleName(n.role),
            instanceType: lab.instanceType(n.role),
            publicIp: n.publicIp,
            privateIp: n.instance.privateIp,
            hostKey: n.hostKey,
        })),
        sshCommands: nodes.map((n) =>
            machines.privateKey
                ? pulumi.interpolate`ssh -i ${keyFile} ${n.connection.user}@${n.publicIp}`
                : pulumi.interpolate`ssh ${n.connection.user}@${n.publicIp}`,
        ),
        ...(config.sampleApp && config.form === "cluster"
            ? { nginxUrls: nodes.map((n) => pulumi.interpolate`http://${n.publicIp}:${lab.publishedPort}`) }
            : {}),
        ...cluster,
        ...(loadBalancer ? { loadBalancerUrl: loadBalancer.url } : {}),
        privateKey: machines.privateKey,
        expiresAt,
    };
};
