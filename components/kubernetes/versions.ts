// The Kubernetes minors a lab may run: the three upstream supports, with their end-of-life dates.
// To bump: add the new minor, drop the oldest, move the default, and update the README text.
// Sources (read 2026-11-23): kubernetes.io/releases/<minor> (end-of-life dates); the v1.34 release
// blog, "Kubernetes to end containerd 1.x support in v1.36".

export interface MinorFacts {
    /** The last day upstream patches this minor (kubernetes.io/releases). */
    endOfLife: string;
    /** The oldest containerd major version this minor runs on. */
    containerdMajor: number;
}

export const SUPPORTED_MINORS = {
    "1.35": { endOfLife: "2027-02-28", containerdMajor: 1 },
    "1.36": { endOfLife: "2027-06-28", containerdMajor: 2 },
    "1.37": { endOfLife: "2027-10-28", containerdMajor: 2 },
} as const satisfies Record<string, MinorFacts>;

export type KubernetesMinor = keyof typeof SUPPORTED_MINORS;

/**
 * The middle minor: a year of patches behind it and seven months of support ahead, tested by the
 * pinned CNIs, and what the course material was written against; the newest is one key away.
 */
export const DEFAULT_KUBERNETES_MINOR: KubernetesMinor = "1.36";

const MINORS = Object.keys(SUPPORTED_MINORS) as KubernetesMinor[];
const minorNumber = (minor: string) => Number(minor.split(".")[1]);

/** "1.35 (until 2027-02-28), 1.36 (until 2027-06-28) or 1.37 (until 2027-10-28)" */
export function supportedMinorsText(): string {
    const each = MINORS.map((m) => `${m} (until ${SUPPORTED_MINORS[m].endOfLife})`);
    return `${each.slice(0, -1).join(", ")} or ${each[each.length - 1]}`;
}

/** Why a value is not a supported minor, or undefined when it is one. */
export function kubernetesMinorProblem(text: string): string | undefined {
    if ((MINORS as string[]).includes(text)) return undefined;
    const choose = `choose ${supportedMinorsText()}`;
    const minor = /^1\.(0|[1-9]\d{0,2})$/.exec(text);
    if (!minor)
        return `must be a Kubernetes minor version such as ${DEFAULT_KUBERNETES_MINOR} (nodes install its latest patch release): ${choose}`;
    if (minorNumber(text) < minorNumber(MINORS[0])) return `is past its end of life and gets no more fixes: ${choose}`;
    return `is not a Kubernetes release this lab supports: ${choose}`;
}

/** A minor still in the table whose end of life has passed (the table wants a bump). */
export function pastEndOfLife(minor: KubernetesMinor, today: Date): boolean {
    return today.toISOString().slice(0, 10) > SUPPORTED_MINORS[minor].endOfLife;
}
