import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import type { CommonConfig } from "./config/common";

export type Tags = Record<string, pulumi.Input<string>>;

/**
 * The lab's expiry: its creation time (kept in state by a time.Static, so a later `pulumi up` does
 * not move it) plus lab:ttl; changing lab:ttl moves it. Undefined when the ttl is 0.
 */
export function labExpiry(config: CommonConfig, opts?: pulumi.CustomResourceOptions): pulumi.Output<string> | undefined {
    if (config.ttlMinutes === 0) return undefined;
    const created = new time.Static("created", {}, opts);
    return created.rfc3339.apply((at) => new Date(Date.parse(at) + config.ttlMinutes * 60_000).toISOString().replace(/\.000Z$/, "Z"));
}

/** Tags on every AWS resource: which lab it belongs to and when it expires (the nodes read theirs). */
export function labTags(config: CommonConfig, expiresAt: pulumi.Output<string> | undefined): Tags {
    return {
        Lab: config.labName,
        ManagedBy: "cluster-lab",
        ExpiresAt: expiresAt ?? "never",
    };
}
