import * as pulumi from "@pulumi/pulumi";
import type { LabNode } from "../nodes";
import { CNIS } from "./cni";
import type { KubernetesConfig } from "./config";
import { API_PORT } from "./ports";

/**
 * lab:form nodes: the commands that form this lab's cluster by hand, with its real names and
 * addresses, as a kubeadm course types them. Three control planes formed by hand share the first
 * one's address as their endpoint: that is not highly available (lab:form cluster puts them behind
 * a load balancer).
 */
export function kubernetesNextSteps(config: KubernetesConfig, nodes: LabNode[]): pulumi.Output<string> {
    const [first, ...others] = nodes;
    const cni = CNIS[config.cni];
    const names = (role: string) =>
        others
            .filter((n) => n.role === role)
            .map((n) => n.name)
            .join(", ");
    const controlPlanes = names("manager");
    const workers = names("worker");
    const setNetwork =
        cni.manifestPodCidr && cni.manifestPodCidr !== config.podCidr
            ? ` (download it and set its "Network" to ${config.podCidr} first: lab:podCidr)`
            : "";
    return pulumi.all([first.instance.privateIp, first.publicIp]).apply(([privateIp, publicIp]) => {
        const endpoint = controlPlanes ? ` --control-plane-endpoint ${privateIp}:${API_PORT} --upload-certs` : "";
        const steps = [
            `On ${first.name} (scripts/operator/lab.sh ssh ${first.name}):\n` +
                `     sudo kubeadm init --apiserver-advertise-address ${privateIp} --apiserver-cert-extra-sans ${publicIp} --pod-network-cidr ${config.podCidr}${endpoint}\n` +
                "     mkdir -p $HOME/.kube && sudo cp /etc/kubernetes/admin.conf $HOME/.kube/config && sudo chown $(id -u):$(id -g) $HOME/.kube/config",
            `Still on ${first.name}, the pod network (${config.cni} ${cni.version}):\n     kubectl apply -f ${cni.url}${setNetwork}`,
            `Still on ${first.name}, a join command (it carries a token: keep it to yourself):\n     sudo kubeadm token create --print-join-command` +
                (controlPlanes
                    ? `\n   and for ${controlPlanes} a certificate key: sudo kubeadm init phase upload-certs --upload-certs`
                    : ""),
            ...(controlPlanes
                ? [`On ${controlPlanes}, one at a time: sudo <the join command> --control-plane --certificate-key <the key>`]
                : []),
            ...(workers ? [`On ${workers}: sudo <the join command>`] : []),
            `Back on ${first.name}: kubectl get nodes -o wide`,
        ];
        return (
            "The nodes are ready (containerd, kubeadm, kubelet and kubectl " +
            config.kubernetesVersion +
            ", every node's name in /etc/hosts, the Kubernetes ports open between them) and form no cluster yet.\n" +
            steps.map((step, i) => `${i + 1}. ${step}`).join("\n") +
            "\nTo start again from unformed nodes: scripts/operator/lab.sh reset"
        );
    });
}
