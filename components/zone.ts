// The availability zone of the lab's subnet: one that offers every instance type of the lab. AWS
// would pick one where the type may not be offered, and the first `up` would fail for good, since
// the zone is fixed with the subnet.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface Offering {
    zone: string;
    instanceType: string;
}

/** The zones, sorted, that offer every one of the instance types. */
export function zonesOffering(offerings: Offering[], instanceTypes: string[]): string[] {
    const zones = [...new Set(offerings.map((o) => o.zone))].sort();
    return zones.filter((zone) => instanceTypes.every((type) => offerings.some((o) => o.zone === zone && o.instanceType === type)));
}

/** Why the lab's instance types cannot run in `zone` (the subnet's, fixed), or undefined. */
export function zoneProblem(zone: string, region: string, offerings: Offering[], instanceTypes: string[]): string | undefined {
    const missing = instanceTypes.filter((type) => !offerings.some((o) => o.zone === zone && o.instanceType === type));
    if (missing.length === 0) return undefined;
    const others = zonesOffering(offerings, instanceTypes);
    return (
        `lab:instanceType: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not offered in ${zone}, the zone of this lab's subnet; ` +
        (others.length > 0
            ? `${others.join(", ")} ${others.length > 1 ? "offer" : "offers"} it, but the zone is fixed with the subnet: choose another type, or rebuild the lab (pulumi destroy, then pulumi up)`
            : `no zone of ${region} offers ${instanceTypes.join(" and ")} together: choose other types`)
    );
}

/** DescribeInstanceTypeOfferings by availability zone, for the lab's types. */
export function typeOfferings(instanceTypes: string[], opts?: pulumi.InvokeOutputOptions): pulumi.Output<Offering[]> {
    return aws.ec2
        .getInstanceTypeOfferingsOutput(
            { locationType: "availability-zone", filters: [{ name: "instance-type", values: instanceTypes }] },
            opts,
        )
        .apply((found) => found.locations.map((zone, i) => ({ zone, instanceType: found.instanceTypes[i] })));
}

/** The first zone that offers every type; a RunError naming the types when none does. */
export function labZone(offerings: Offering[], instanceTypes: string[], region: string): string {
    const [zone] = zonesOffering(offerings, instanceTypes);
    if (!zone)
        throw new pulumi.RunError(
            `lab:instanceType: no availability zone of ${region} offers ${instanceTypes.join(" and ")} together: choose other types`,
        );
    return zone;
}
