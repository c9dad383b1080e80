// The security groups of the local cloud as one nftables ruleset, a pure function of the cloud's
// state. Like EC2: only `ingress` rules are enforced (egress is open), a group admits what any of
// its rules admits, an instance admits what any of its groups admits, and the group is stateful
// (replies to admitted or outgoing traffic pass). Everything else addressed to an instance is
// dropped, whether it is bridged from another instance, routed from an outside address or sent by
// the host itself.
//
// The host is also the Internet gateway: each instance's public address maps 1:1 to its private
// one. The outside reaches only public addresses, keeping its own source. An instance reaching
// another's public address goes through the gateway and arrives from its own public address, which
// no `self` rule matches (the groups list private addresses): so the groups are enforced after the
// gateway's translation, in postrouting, as the receiving instance sees the packet.

export interface IngressRule {
    protocol: string;
    fromPort: number;
    toPort: number;
    cidrBlocks?: string[];
    self?: boolean;
    /** Other groups whose members are admitted. */
    securityGroups?: string[];
    description?: string;
}

export interface GroupSpec {
    id: string;
    ingress: IngressRule[];
}

export interface InstanceSpec {
    id: string;
    /** Private address. */
    ip: string;
    /** Public address ("" while it has none: stopped). */
    publicIp: string;
    securityGroupIds: string[];
}

export interface FirewallSpec {
    /** The VPC bridge. */
    bridge: string;
    subnetCidr: string;
    /** The host's address on the bridge: the VPC router the VMs reach IMDS through. */
    routerIp: string;
    /** Host-side interfaces and networks of the outside addresses (operator, runner). */
    outside: { hostInterface: string; cidr: string }[];
    /** Where 169.254.169.254:80 is served on the host. */
    imds: { ip: string; port: number };
    groups: GroupSpec[];
    instances: InstanceSpec[];
}

export const TABLE = "clab";

const ident = (id: string) => id.replace(/[^A-Za-z0-9]/g, "_");
const setOf = (items: string[]) => `{ ${items.join(", ")} }`;
const quoted = (names: string[]) => setOf(names.map((n) => JSON.stringify(n)));

/** The protocol and port part of one rule, in nft syntax ("" = any packet). */
export function protocolMatch(rule: Pick<IngressRule, "protocol" | "fromPort" | "toPort">): string {
    const protocol = rule.protocol.toLowerCase();
    const ports = (l4: string) => {
        const all = (rule.fromPort <= 0 && rule.toPort >= 65535) || (rule.fromPort === -1 && rule.toPort === -1);
        if (all) return `meta l4proto ${l4}`;
        return `meta l4proto ${l4} th dport ${rule.fromPort === rule.toPort ? rule.fromPort : `${rule.fromPort}-${rule.toPort}`}`;
    };
    switch (protocol) {
        case "-1":
        case "all":
            return "";
        case "tcp":
        case "6":
            return ports("tcp");
        case "udp":
        case "17":
            return ports("udp");
        case "icmp":
        case "1": {
            // For ICMP, fromPort is the type and toPort the code; -1 means any.
            const type = rule.fromPort >= 0 ? ` icmp type ${rule.fromPort}` : "";
            const code = rule.fromPort >= 0 && rule.toPort >= 0 ? ` icmp code ${rule.toPort}` : "";
            return `meta l4proto icmp${type}${code}`;
        }
        default:
            if (!/^\d{1,3}$/.test(protocol) || Number(protocol) > 255) throw new Error(`security group: unknown protocol ${rule.protocol}`);
            // Any other IP protocol number (50 ESP, 4 IP-in-IP): ports do not apply.
            return `meta l4proto ${Number(protocol)}`;
    }
}

/** The nft rules of one group's chain: one `accept` per source of each ingress rule. */
export function groupRules(group: GroupSpec): string[] {
    const rules: string[] = [];
    for (const rule of group.ingress) {
        const what = protocolMatch(rule);
        const sources: string[] = [];
        const cidrs = (rule.cidrBlocks ?? []).filter(Boolean);
        if (cidrs.length > 0) sources.push(`ip saddr ${setOf(cidrs)}`);
        if (rule.self) sources.push(`ip saddr @members_${ident(group.id)}`);
        for (const other of rule.securityGroups ?? []) sources.push(`ip saddr @members_${ident(other)}`);
        for (const source of sources) rules.push([source, what, "accept"].filter(Boolean).join(" "));
    }
    return rules;
}

/** The whole ruleset, replacing any earlier version of the table atomically. */
export function nftRuleset(spec: FirewallSpec): string {
    const knownGroups = new Set(spec.groups.map((g) => g.id));
    const referenced = new Set(spec.groups.flatMap((g) => g.ingress.flatMap((r) => r.securityGroups ?? [])));
    const outsideIfs = spec.outside.map((o) => o.hostInterface);
    const outsideNets = spec.outside.map((o) => o.cidr);
    const addressed = spec.instances.filter((i) => i.publicIp);
    const publicOf = setOf(addressed.map((i) => `${i.ip} : ${i.publicIp}`));
    const lines: string[] = [`table inet ${TABLE}`, `delete table inet ${TABLE}`, `table inet ${TABLE} {`];
    for (const id of new Set([...knownGroups, ...referenced])) {
        const members = spec.instances.filter((i) => i.securityGroupIds.includes(id)).map((i) => i.ip);
        lines.push(
            `  set members_${ident(id)} {`,
            "    type ipv4_addr;",
            ...(members.length > 0 ? [`    elements = ${setOf(members)}`] : []),
            "  }",
        );
    }
    for (const group of spec.groups) {
        lines.push(`  chain group_${ident(group.id)} {`, ...groupRules(group).map((r) => `    ${r}`), "  }");
    }
    for (const instance of spec.instances) {
        const jumps = instance.securityGroupIds.filter((id) => knownGroups.has(id)).map((id) => `    jump group_${ident(id)}`);
        lines.push(`  chain instance_${ident(instance.id)} {`, ...jumps, "    drop", "  }");
    }
    lines.push(
        "  chain to_instance {",
        "    ct state established,related accept",
        ...(spec.instances.length > 0
            ? [`    ip daddr vmap ${setOf(spec.instances.map((i) => `${i.ip} : jump instance_${ident(i.id)}`))}`]
            : []),
        // An address of the subnet that no instance holds: nothing to reach.
        "    drop",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        // The host routes between the outside addresses and the subnet, and bridges inside it; nothing else.
        // From outside, only a public address leads in (translated in prerouting): a private one is not routed.
        ...(outsideIfs.length > 0 ? [`    iifname ${quoted(outsideIfs)} ct state new ct status ! dnat drop`] : []),
        ...(outsideIfs.length > 0 ? [`    iifname ${quoted(outsideIfs)} ip daddr != ${spec.subnetCidr} drop`] : []),
        ...(outsideIfs.length > 0 ? [`    iifname ${quoted(outsideIfs)} oifname != ${JSON.stringify(spec.bridge)} drop`] : []),
        `    iifname ${JSON.stringify(spec.bridge)} oifname != ${quoted([spec.bridge, ...outsideIfs])} drop`,
        ...(outsideNets.length > 0
            ? [`    iifname ${JSON.stringify(spec.bridge)} oifname ${quoted(outsideIfs)} ip daddr != ${setOf(outsideNets)} drop`]
            : []),
        "  }",
        // After the gateway's source translation: forwarded, bridged and the host's own packets alike.
        "  chain to_instances {",
        "    type filter hook postrouting priority srcnat + 10; policy accept;",
        // The host is no member of any group: only DHCP answers and replies reach an instance from it.
        `    oifname ${JSON.stringify(spec.bridge)} udp sport 67 udp dport 68 accept`,
        `    oifname ${JSON.stringify(spec.bridge)} ip daddr ${spec.subnetCidr} jump to_instance`,
        "  }",
        "  chain input {",
        "    type filter hook input priority filter; policy accept;",
        `    iifname ${JSON.stringify(spec.bridge)} ct state established,related accept`,
        `    iifname ${JSON.stringify(spec.bridge)} udp dport 67 accept`,
        `    iifname ${JSON.stringify(spec.bridge)} ip daddr ${spec.imds.ip} tcp dport ${spec.imds.port} ct status dnat accept`,
        `    iifname ${JSON.stringify(spec.bridge)} drop`,
        "  }",
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        // EC2's instance metadata service, reached through the VPC router.
        `    iifname ${JSON.stringify(spec.bridge)} ip daddr 169.254.169.254 tcp dport 80 dnat ip to ${spec.imds.ip}:${spec.imds.port}`,
        ...(addressed.length > 0 ? [`    dnat ip to ip daddr map ${setOf(addressed.map((i) => `${i.publicIp} : ${i.ip}`))}`] : []),
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        // Leaving the subnet through the gateway (to the outside, or back in to a public address): the public source.
        ...(addressed.length > 0
            ? [
                  `    ip saddr ${spec.subnetCidr} ip daddr != ${spec.subnetCidr} snat ip to ip saddr map ${publicOf}`,
                  `    ip saddr ${spec.subnetCidr} ip daddr ${spec.subnetCidr} ct status dnat snat ip to ip saddr map ${publicOf}`,
              ]
            : []),
        "  }",
        "}",
    );
    return lines.join("\n") + "\n";
}
