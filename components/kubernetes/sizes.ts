// Is an instance type big enough for a kubeadm control plane? (Workers have no preflight minimum.)

/** vCPU and GiB of the burstable sizes; other families are judged by their size name. */
const T3_SIZES: Record<string, [number, number]> = {
    nano: [2, 0.5],
    micro: [2, 1],
    small: [2, 2],
    medium: [2, 4],
    large: [2, 8],
    xlarge: [4, 16],
    "2xlarge": [8, 32],
};
const BURSTABLE_SIZES: Record<string, Record<string, [number, number]>> = {
    t2: { nano: [1, 0.5], micro: [1, 1], small: [1, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], "2xlarge": [8, 32] },
    t3: T3_SIZES,
    t3a: T3_SIZES,
    t4g: T3_SIZES,
};

/** kubeadm's preflight refuses fewer than 2 vCPU or less than about 2 GiB (1700 MB) on a control plane. */
export function kubeadmSizeProblem(instanceType: string): string | undefined {
    const [family, size] = instanceType.split(".");
    const minimum = "kubeadm's preflight needs at least 2 vCPU and 2 GiB on a control plane";
    const known = BURSTABLE_SIZES[family];
    if (known) {
        const spec = known[size];
        if (!spec) return `is not a ${family} size this lab knows (${Object.keys(known).join(", ")}), so it cannot check that ${minimum}`;
        const [cpus, gib] = spec;
        if (cpus >= 2 && gib >= 2) return undefined;
        const smallest = Object.entries(known).find(([, [c, g]]) => c >= 2 && g >= 2)![0];
        return `has ${cpus} vCPU and ${gib} GiB, but ${minimum}: choose ${family}.${smallest} or larger`;
    }
    if (/^(large|\d*xlarge|metal(-\d+xl)?)$/.test(size)) return undefined; // 2+ vCPU and 3.75+ GiB in every family
    if (/^(nano|micro|small|medium)$/.test(size)) {
        return `is a ${size} size, which outside the t2/t3/t3a/t4g families has a single vCPU, but ${minimum}: choose a .large size or bigger`;
    }
    return `has a size this lab cannot judge (${size}), so it cannot check that ${minimum}; choose a known size such as t3.medium or m6i.large`;
}
