// IPv4 network arithmetic for the config rules: canonical CIDRs only (no leading zeros, no host bits).

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const CANONICAL = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(3[0-2]|[12]?\\d)$`);

function range(cidr: string): { start: number; size: number } {
    const [address, prefix] = cidr.split("/");
    const start = address.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    return { start, size: 2 ** (32 - Number(prefix)) };
}

/** A network in canonical form: 203.0.113.0/24, not 203.0.113.7/24 (host bits) nor 010.0.0.0/8. */
export function isIpv4Cidr(value: string): boolean {
    if (!CANONICAL.test(value)) return false;
    const { start, size } = range(value);
    return start % size === 0;
}

export function isIpv4Address(value: string): boolean {
    return isIpv4Cidr(`${value}/32`);
}

export function prefixOf(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

export function cidrsOverlap(a: string, b: string): boolean {
    const x = range(a);
    const y = range(b);
    return x.start < y.start + y.size && y.start < x.start + x.size;
}

/** Whether every address of `inner` is in `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
    const x = range(inner);
    const y = range(outer);
    return x.start >= y.start && x.start + x.size <= y.start + y.size;
}

export function addressIn(address: string, cidr: string): boolean {
    return cidrsOverlap(`${address}/32`, cidr);
}

/** The network a CIDR with host bits set belongs to (10.0.0.1/24 -> 10.0.0.0/24), for hints. */
export function networkOf(cidr: string): string | undefined {
    if (!CANONICAL.test(cidr)) return undefined;
    const { start, size } = range(cidr);
    const base = start - (start % size);
    return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join(".")}/${prefixOf(cidr)}`;
}

/**
 * Addresses no packet from the internet carries (IANA special-purpose registry): a source range
 * inside one of them admits nobody.
 */
export const UNREACHABLE_RANGES: readonly { cidr: string; what: string }[] = [
    { cidr: "0.0.0.0/8", what: '"this network" (0.0.0.0/8), which no host sends from' },
    { cidr: "127.0.0.0/8", what: "loopback (127.0.0.0/8)" },
    { cidr: "169.254.0.0/16", what: "link-local (169.254.0.0/16)" },
    { cidr: "224.0.0.0/4", what: "multicast (224.0.0.0/4)" },
    { cidr: "240.0.0.0/4", what: "reserved (240.0.0.0/4, with the broadcast address)" },
];
