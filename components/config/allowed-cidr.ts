// lab:allowedCidr against the operator's real address, looked up before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { operatorNetwork } from "../operator-network";
import { addressIn, isIpv4Address } from "./cidr";
import type { CommonConfig } from "./common";
import { LabConfigError } from "./errors";

export type AddressLookup = () => Promise<string>;

const SET_IT = 'pulumi config set lab:allowedCidr "auto,<other CIDRs>"';

/**
 * Replaces "auto" in allowedCidrs by this machine's public address as a /32. Without "auto", checks
 * that this machine is inside one of the CIDRs, since the program reaches every node over SSH: an
 * operator outside would wait for dials that the security group drops. Fails naming the key.
 */
export async function resolveAllowedCidr<C extends CommonConfig>(
    config: C,
    lookup: AddressLookup = operatorNetwork.lookupAddress,
): Promise<C> {
    const listed = config.allowedCidrs.join(",");
    let address: string;
    try {
        address = (await lookup()).trim();
    } catch (err) {
        if (!config.allowedCidrs.includes("auto")) {
            pulumi.log.warn(
                `lab:allowedCidr: your public address could not be looked up (${(err as Error).message}), so it is not checked against ${listed}`,
            );
            return config;
        }
        throw new LabConfigError([
            `lab:allowedCidr is "${listed}" but your public address could not be looked up (${(err as Error).message}); ` +
                "set it yourself: pulumi config set lab:allowedCidr <your address>/32",
        ]);
    }
    if (!isIpv4Address(address)) {
        throw new LabConfigError([
            `lab:allowedCidr is "${listed}" but the address lookup answered ${JSON.stringify(address.slice(0, 40))}, not an IPv4 address; ` +
                "set it yourself: pulumi config set lab:allowedCidr <your address>/32",
        ]);
    }
    const allowedCidrs = [...new Set(config.allowedCidrs.map((entry) => (entry === "auto" ? `${address}/32` : entry)))];
    if (!allowedCidrs.some((cidr) => addressIn(address, cidr))) {
        throw new LabConfigError([
            `lab:allowedCidr is "${listed}" but this machine's public address ${address} is outside it: the program reaches ` +
                `every node over SSH from here, and the security group would drop it. Add "auto": ${SET_IT}`,
        ]);
    }
    return { ...config, allowedCidrs, operatorAddress: address };
}
