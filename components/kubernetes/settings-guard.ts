// Settings a running cluster cannot take in place, checked against what the lab was built with.
import type * as pulumi from "@pulumi/pulumi";
import { stashGuard } from "../stash-guard";
import type { KubernetesConfig } from "./config";

export type FixedKey = "cni" | "podCidr" | "managers";
export type FixedSettings = Record<FixedKey, string>;

const WHY: Record<FixedKey, string> = {
    cni: "a second CNI would be layered on the first, and the security group's CNI ports switched under it",
    podCidr: "kubeadm gave it to the cluster at init, and every node's pod range was cut from it",
    managers: "one control plane and three have different API endpoints and certificates (three sit behind a load balancer)",
};

export function fixedSettings(config: KubernetesConfig): FixedSettings {
    return { cni: config.cni, podCidr: config.podCidr, managers: String(config.managers) };
}

/** What changed since the lab was built, as a message naming each key, or undefined. */
export function changedSettingsProblem(built: Partial<FixedSettings> | undefined, now: FixedSettings): string | undefined {
    if (!built) return undefined; // nothing recorded yet: this run builds the lab
    const changed = (Object.keys(WHY) as FixedKey[]).filter((key) => built[key] !== undefined && built[key] !== now[key]);
    if (changed.length === 0) return undefined;
    const lines = changed.map(
        (key) => `lab:${key} was ${JSON.stringify(built[key])} when this lab was built and is now ${JSON.stringify(now[key])}: ${WHY[key]}`,
    );
    const back = changed.map((key) => `pulumi config set lab:${key} ${built[key]}`).join(" && ");
    return (
        `this Kubernetes lab cannot change these settings in place:\n  - ${lines.join("\n  - ")}\n` +
        `Set them back (${back}), or rebuild the lab with the new ones: pulumi destroy, then pulumi up.`
    );
}

/** The settings of the run that built the lab: what waits for it never starts when they changed. */
export function settingsGuard(config: KubernetesConfig): pulumi.Output<pulumi.Resource[]> {
    const now = fixedSettings(config);
    return stashGuard("kubernetes-settings", now, (built: Partial<FixedSettings> | undefined) => changedSettingsProblem(built, now));
}
