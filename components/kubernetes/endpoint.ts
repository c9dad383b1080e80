// Where the Kubernetes API is reached, by whom, and what its certificates must name.
import * as pulumi from "@pulumi/pulumi";
import type { CommonConfig } from "../config/common";
import type { LabNode } from "../nodes";
import { fromThisMachine, operatorNetwork } from "../operator-network";
import type { KubernetesApiLoadBalancer } from "./api-load-balancer";
import { API_PORT } from "./ports";

/**
 * The name kubeadm's controlPlaneEndpoint uses: every kubeconfig on the nodes (kubelets, kube-proxy,
 * admin.conf) says https://k8s-api:6443, and each node's /etc/hosts says where that is: a control
 * plane's own API server for itself; for the others the load balancer of three control planes,
 * or the one control plane. Certificates name it, so it can be re-pointed without reissuing them.
 */
export const API_HOST = "k8s-api";
export const CONTROL_PLANE_ENDPOINT = `${API_HOST}:${API_PORT}`;

export interface ApiEndpoint {
    /** Where `k8s-api` points on nodes that are not (yet) a serving control plane. */
    nodeAddress: pulumi.Output<string>;
    /** The host the operator's kubeconfig names. */
    publicHost: pulumi.Output<string>;
    /** Names and addresses the API server certificate carries besides kubeadm's own. */
    certSans: pulumi.Output<string[]>;
    /** Security group ids that open the API to allowedCidr: the provider waits for their updates. */
    openedBy: pulumi.Input<string>[];
}

/**
 * With one control plane: its private address for the nodes, its Elastic IP for the operator.
 * With three: the load balancer for both, and every control plane's Elastic IP in the certificate
 * so that each one can still be reached directly.
 */
export function apiEndpoint(
    controlPlanes: LabNode[],
    nodeSecurityGroupId: pulumi.Input<string>,
    loadBalancer?: KubernetesApiLoadBalancer,
): ApiEndpoint {
    const [first] = controlPlanes;
    const publicIps = controlPlanes.map((n) => n.publicIp);
    if (!loadBalancer) {
        return {
            nodeAddress: first.instance.privateIp,
            publicHost: first.publicIp,
            certSans: pulumi.all(publicIps).apply((ips) => [API_HOST, ...ips]),
            openedBy: [nodeSecurityGroupId],
        };
    }
    return {
        nodeAddress: loadBalancer.privateIp,
        publicHost: loadBalancer.dnsName,
        certSans: pulumi.all([loadBalancer.dnsName, ...publicIps]).apply(([dns, ...ips]) => [API_HOST, dns, ...ips]),
        openedBy: [nodeSecurityGroupId, loadBalancer.securityGroup.id],
    };
}

/** How long the API may take to answer the operator once the cluster is formed (an API load balancer registers its targets in minutes). */
export const API_ANSWER_TIMEOUT_MS = 5 * 60_000;

/** Why the API never answered this machine, naming what the operator can change. */
export function apiUnreachableMessage(host: string, config: CommonConfig): string {
    const from = fromThisMachine(config);
    return (
        `The Kubernetes API at https://${host}:${API_PORT} did not answer within ${API_ANSWER_TIMEOUT_MS / 60_000} minutes from ${from}, ` +
        "so the sample app cannot be deployed. The cluster is formed (scripts/operator/lab.sh ssh k8s-cp1 kubectl get nodes). " +
        'If your address changed, set lab:allowedCidr to include it ("auto" looks it up); if your network blocks outgoing ' +
        `port ${API_PORT} (some corporate and campus networks do), run pulumi up from another one; then run pulumi up again.`
    );
}

/**
 * Resolves once the API accepts a connection from this machine, before the program's provider talks
 * to it: unanswered, the provider fails the app with "configured Kubernetes cluster is unreachable"
 * and no hint. A preview plans and never waits.
 */
export async function apiAnswers(host: string, config: CommonConfig): Promise<void> {
    if (pulumi.runtime.isDryRun()) return;
    try {
        await operatorNetwork.waitForPort(host, API_PORT, API_ANSWER_TIMEOUT_MS);
    } catch {
        throw new pulumi.RunError(apiUnreachableMessage(host, config));
    }
}
