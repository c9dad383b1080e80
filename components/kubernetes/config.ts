// The Kubernetes lab's own keys, and its rules on the common ones.
import { cidrsOverlap, isIpv4Cidr, prefixOf } from "../config/cidr";
import { COMMON_KEYS, CommonConfig, VPC_CIDR } from "../config/common";
import { choice, custom, Invalid, Problems, RawConfig, readKeys, Values } from "../config/keys";
import { architectureOf } from "../images";
import { Cni, CNI_CHOICES, CNIS } from "./cni";
import { NODE_PORT_RANGE } from "./ports";
import { kubeadmSizeProblem } from "./sizes";
import { DEFAULT_KUBERNETES_MINOR, KubernetesMinor, kubernetesMinorProblem, supportedMinorsText } from "./versions";

/** kubeadm's default service CIDR, which the lab keeps. */
export const SERVICE_CIDR = "10.96.0.0/12";
export const DEFAULT_NODE_PORT = 30080;
/** Control planes run etcd, the API server and the controllers: 4 GiB leaves room for the course's work. */
export const DEFAULT_CONTROL_PLANE_TYPE = "t3.medium";

export const KUBERNETES_KEYS = {
    publishedPort: custom({
        default: DEFAULT_NODE_PORT,
        allowed: `${NODE_PORT_RANGE.from}-${NODE_PORT_RANGE.to}`,
        meaning: "the nginx Service's NodePort, on every node",
        parse(text) {
            const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
            return port >= NODE_PORT_RANGE.from && port <= NODE_PORT_RANGE.to
                ? port
                : new Invalid(
                      "is the nginx Service's NodePort with lab:orchestrator kubernetes, so it must be a whole number " +
                          `from ${NODE_PORT_RANGE.from} to ${NODE_PORT_RANGE.to} (default ${DEFAULT_NODE_PORT})`,
                  );
        },
    }),
    kubernetesVersion: custom({
        default: DEFAULT_KUBERNETES_MINOR as KubernetesMinor,
        allowed: supportedMinorsText(),
        meaning: "kubeadm, kubelet and kubectl from pkgs.k8s.io, its latest patch",
        parse(text) {
            const problem = kubernetesMinorProblem(text);
            return problem ? new Invalid(problem) : (text as KubernetesMinor);
        },
    }),
    controlPlaneInstanceType: custom({
        default: DEFAULT_CONTROL_PLANE_TYPE,
        allowed: `${COMMON_KEYS.instanceType.doc.allowed}, 2 vCPU and 2 GiB or more`,
        meaning: "the control planes' EC2 type (lab:instanceType is the workers'); kubeadm's preflight needs 2 vCPU and about 2 GiB",
        parse(text) {
            const type = COMMON_KEYS.instanceType.parse(text);
            if (type instanceof Invalid) return type;
            const size = kubeadmSizeProblem(type);
            return size ? new Invalid(size) : type;
        },
    }),
    cni: choice({ default: "calico" as Cni, choices: CNI_CHOICES, meaning: "the pod network, from a pinned manifest" }),
    podCidr: custom({
        default: undefined as string | undefined,
        shownDefault: "the CNI's: `192.168.0.0/16` (calico), `10.244.0.0/16` (flannel)",
        allowed: "an IPv4 CIDR clear of the VPC and the service CIDR",
        meaning: "the pod network; every node gets a /24 of it",
        parse: (text) => (isIpv4Cidr(text) ? text : new Invalid("must be an IPv4 network CIDR such as 10.244.0.0/16")),
    }),
};

export type KubernetesConfig = CommonConfig & { orchestrator: "kubernetes" } & Omit<Values<typeof KUBERNETES_KEYS>, "podCidr"> & {
        podCidr: string;
    };

/** Why a pod CIDR cannot work here, or undefined. */
export function podCidrProblem(cidr: string, nodes: number): string | undefined {
    for (const [range, what] of [
        [VPC_CIDR, "the lab's VPC"],
        [SERVICE_CIDR, "the Kubernetes service CIDR"],
    ]) {
        if (cidrsOverlap(cidr, range)) {
            return `overlaps ${what} (${range}); choose a range clear of it, such as ${CNIS.flannel.defaultPodCidr} or ${CNIS.calico.defaultPodCidr}`;
        }
    }
    // kube-controller-manager gives every node a /24 out of the pod CIDR.
    const needed = 24 - Math.ceil(Math.log2(Math.max(nodes, 1)));
    if (prefixOf(cidr) > needed) return `is too small: every node gets a /24 from it, so ${nodes} nodes need a /${needed} or larger`;
    return undefined;
}

export function readKubernetesConfig(common: CommonConfig, raw: RawConfig, problems: Problems): KubernetesConfig {
    const values = readKeys(KUBERNETES_KEYS, raw, problems);
    if (common.managers !== 1 && common.managers !== 3) {
        problems.bad(
            "managers",
            String(common.managers),
            "must be 1 or 3 with lab:orchestrator kubernetes (one control plane, or three with stacked etcd behind a load balancer)",
        );
    }
    const controlPlaneArch = architectureOf(values.controlPlaneInstanceType);
    if (common.workers > 0 && architectureOf(common.instanceType) !== controlPlaneArch) {
        problems.bad(
            "controlPlaneInstanceType",
            values.controlPlaneInstanceType,
            `is ${controlPlaneArch} while the workers' lab:instanceType ${common.instanceType} is ${architectureOf(common.instanceType)}: ` +
                "every node boots one image, so choose types of one architecture",
        );
    }
    const podCidr = values.podCidr ?? CNIS[values.cni].defaultPodCidr;
    const cidrProblem = podCidrProblem(podCidr, common.managers + common.workers);
    if (cidrProblem) problems.bad("podCidr", podCidr, cidrProblem);
    return { ...common, orchestrator: "kubernetes", ...values, podCidr };
}
