import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesConfig } from "./config";

export const APP_NAMESPACE = "lab";
const labels = { app: "nginx" };

export interface KubernetesAppArgs {
    config: KubernetesConfig;
    provider: k8s.Provider;
    /**
     * The first control plane's instance: when it is deleted the cluster goes with it, so the objects
     * are not deleted through an API that may be unreachable (pulumi destroy from anywhere); when it
     * is replaced, a new cluster is formed and the objects are created in it anew.
     */
    cluster: pulumi.Resource;
}

/**
 * The sample nginx through the lab's own provider: namespace `lab`, a Deployment spread over the
 * nodes that rolls out one new pod before it removes an old one, and a NodePort Service on
 * lab:publishedPort. Control planes keep kubeadm's NoSchedule taint, so with workers the pods run
 * on workers only, like the Swarm stack's worker constraint.
 */
export class KubernetesApp extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;

    constructor(name: string, args: KubernetesAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cluster-lab:apps:KubernetesApp", name, {}, opts);
        const { config, provider } = args;
        const options = { parent: this, provider, deletedWith: args.cluster, replaceWith: [args.cluster] };

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: { name: APP_NAMESPACE },
            },
            { ...options, dependsOn: [provider] },
        );
        const namespace = this.namespace.metadata.name;

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-nginx`,
            {
                metadata: { name: "nginx", namespace, labels },
                spec: {
                    replicas: config.nginxReplicas,
                    selector: { matchLabels: labels },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
                    template: {
                        metadata: { labels },
                        spec: {
                            topologySpreadConstraints: [
                                {
                                    maxSkew: 1,
                                    topologyKey: "kubernetes.io/hostname",
                                    whenUnsatisfiable: "ScheduleAnyway",
                                    labelSelector: { matchLabels: labels },
                                },
                            ],
                            containers: [
                                {
                                    name: "nginx",
                                    image: config.nginxImage,
                                    ports: [{ name: "http", containerPort: 80 }],
                                    readinessProbe: { httpGet: { path: "/", port: "http" }, initialDelaySeconds: 2, periodSeconds: 5 },
                                    resources: {
                                        requests: { cpu: "50m", memory: "32Mi" },
                                        limits: { cpu: "250m", memory: "128Mi" },
                                    },
                                },
                            ],
                        },
                    },
                },
            },
            options,
        );

        this.service = new k8s.core.v1.Service(
            `${name}-nginx-nodeport`,
            {
                metadata: { name: "nginx", namespace, labels },
                spec: {
                    type: "NodePort",
                    selector: labels,
                    ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "http", nodePort: config.publishedPort }],
                },
            },
            options,
        );

        this.registerOutputs({});
    }
}
