// The Kubernetes lab: `k8s-cp<n>` control planes and `k8s-w<n>` workers, containerd and the pinned
// kubeadm/kubelet/kubectl installed at first boot, the cluster formed with kubeadm over SSH (three
// control planes behind an API load balancer), a CNI, kubectl and a LoadBalancer controller on the
// control planes, and the sample app deployed through a provider built from the fetched kubeconfig.
import * as pulumi from "@pulumi/pulumi";
import type { Orchestrator } from "../orchestrator";
import { planNodes } from "../nodes";
import { KubernetesApiLoadBalancer } from "./api-load-balancer";
import { KubernetesApp } from "./app";
import { KubeadmCluster } from "./cluster";
import { CNIS } from "./cni";
import { KUBERNETES_KEYS, readKubernetesConfig } from "./config";
import { ControlPlaneTools } from "./control-plane-tools";
import { apiEndpoint } from "./endpoint";
import { kubernetesNextSteps } from "./next-steps";
import { K8S_SCRIPTS } from "./node-scripts";
import { API_PORT, kubernetesPorts, nodeAddressPorts } from "./ports";
import { settingsGuard } from "./settings-guard";
import { pastEndOfLife, SUPPORTED_MINORS } from "./versions";

/** What the lab asks of the clock: the unit tests set it. */
export const kubernetesClock = { today: () => new Date() };

export const kubernetes: Orchestrator = {
    keys: KUBERNETES_KEYS,
    configure(common, raw, problems) {
        const config = readKubernetesConfig(common, raw, problems);
        const minor = SUPPORTED_MINORS[config.kubernetesVersion];
        return {
            config,
            nodes: planNodes({ manager: "k8s-cp", worker: "k8s-w" }, config.managers, config.workers),
            roleName: (role) => (role === "manager" ? "control-plane" : role),
            firstBoot: {
                script: K8S_SCRIPTS.install,
                env: { KUBERNETES_VERSION: config.kubernetesVersion, CONTAINERD_MAJOR: String(minor.containerdMajor) },
                engine: "containerd",
            },
            instanceType: (role) => (role === "manager" ? config.controlPlaneInstanceType : config.instanceType),
            // The kubeconfig and the certificates name the control planes' addresses: a stop and start
            // (a new lab:controlPlaneInstanceType) must not change them.
            staticAddress: (role) => role === "manager",
            ports: kubernetesPorts(config),
            sourceDestCheck: CNIS[config.cni].sourceDestCheck,
            publishedPort: config.publishedPort,
            guard: () => settingsGuard(config),
            build({ nodes, network, tags }, opts) {
                if (pastEndOfLife(config.kubernetesVersion, kubernetesClock.today())) {
                    pulumi.log.warn(
                        `lab:kubernetesVersion ${config.kubernetesVersion} reached its end of life on ${minor.endOfLife}: ` +
                            "choose a newer minor (components/kubernetes/versions.ts lists the supported ones)",
                    );
                }
                if (config.form === "nodes") return { nextSteps: kubernetesNextSteps(config, nodes) };
                const controlPlanes = nodes.filter((n) => n.role === "manager");
                const loadBalancer =
                    controlPlanes.length > 1
                        ? new KubernetesApiLoadBalancer(
                              "k8s-api",
                              {
                                  labName: config.labName,
                                  controlPlanes,
                                  allowedCidrs: config.allowedCidrs,
                                  tags,
                                  vpcId: network.vpcId,
                                  subnetId: network.subnetId,
                                  internetRoute: network.internetRoute,
                              },
                              opts,
                          )
                        : undefined;
                const endpoint = apiEndpoint(controlPlanes, network.securityGroupId, loadBalancer);
                const cluster = new KubeadmCluster("kubeadm", { config, nodes, endpoint }, opts);
                new ControlPlaneTools(
                    "control-plane-tools",
                    { nodes, serving: cluster.serving, clusterPorts: nodeAddressPorts(config) },
                    opts,
                );
                if (cluster.provider) new KubernetesApp("app", { config, provider: cluster.provider, cluster: nodes[0].instance }, opts);
                return { kubeconfig: cluster.kubeconfig, apiServer: pulumi.interpolate`https://${endpoint.publicHost}:${API_PORT}` };
            },
        };
    },
};
