// Everything the lab knows about each CNI, in one table: its pinned manifest, the pod CIDR its
// manifest expects, the ports it needs between nodes, and EC2's source/destination check.
import type { PortRule } from "../ports";

export type Cni = "calico" | "flannel";
export const CNI_CHOICES: readonly Cni[] = ["calico", "flannel"];

export interface CniFacts {
    version: string;
    url: string;
    /** namespace/name of the DaemonSet whose rollout means the CNI is up. */
    daemonSet: string;
    /** The pod CIDR the manifest expects unless told otherwise. */
    defaultPodCidr: string;
    /** A CIDR written into the manifest, which the lab replaces by lab:podCidr. */
    manifestPodCidr?: string;
    ports: readonly PortRule[];
    /**
     * Ports the CNI may use on the nodes' addresses when a course turns them on, which the security
     * group does not open ("<port>/<protocol>"): no LoadBalancer Service may take them either.
     */
    otherPorts: readonly string[];
    /** EC2 drops routed pod traffic unless the check is off. */
    sourceDestCheck: boolean;
}

/**
 * Pinned manifests: Calico 3.33 is tested with Kubernetes 1.35 to 1.37. Calico runs as its stock
 * manifest ships, BGP between nodes and IP-in-IP (IP protocol 4), so EC2's source/destination
 * check would drop its routed pod traffic; Flannel encapsulates in VXLAN and needs no exception.
 */
export const CNIS: Record<Cni, CniFacts> = {
    calico: {
        version: "v3.33.0",
        url: "https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/calico.yaml",
        // Calico takes the pod CIDR from kubeadm's configuration: the manifest needs no edit.
        daemonSet: "kube-system/calico-node",
        defaultPodCidr: "192.168.0.0/16",
        ports: [
            { description: "Calico BGP", protocol: "tcp", fromPort: 179, toPort: 179, source: "nodes" },
            { description: "Calico IP-in-IP", protocol: "4", fromPort: 0, toPort: 0, source: "nodes" },
        ],
        // VXLAN, for an IP pool switched to it; Typha, in Calico's manifests for larger clusters.
        otherPorts: ["4789/udp", "5473/tcp"],
        sourceDestCheck: false,
    },
    flannel: {
        version: "v0.28.8",
        url: "https://github.com/flannel-io/flannel/releases/download/v0.28.8/kube-flannel.yml",
        daemonSet: "kube-flannel/kube-flannel-ds",
        defaultPodCidr: "10.244.0.0/16",
        manifestPodCidr: "10.244.0.0/16",
        ports: [{ description: "Flannel VXLAN", protocol: "udp", fromPort: 8472, toPort: 8472, source: "nodes" }],
        otherPorts: [],
        sourceDestCheck: true,
    },
};
