import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { LabConfig } from "./config";

export type Tags = Record<string, pulumi.Input<string>>;

/**
 * The lab's expiry: creation time + ttlHours, fixed when the lab is created (a later `pulumi up`
 * does not move it; changing lab:ttlHours does). Undefined when ttlHours is 0.
 */
export function labExpiry(config: LabConfig, opts?: pulumi.CustomResourceOptions): pulumi.Output<string> | undefined {
    if (config.ttlHours === 0) return undefined;
    return new time.Offset("expiry", { offsetHours: config.ttlHours }, opts).rfc3339;
}

/** Tags on every AWS resource: which lab it belongs to and when the sweeper may remove it. */
export function labTags(config: LabConfig, expiresAt: pulumi.Output<string> | undefined): Tags {
    return {
        Lab: config.labName,
        ManagedBy: "cluster-lab",
        ExpiresAt: expiresAt ?? "never",
    };
}
