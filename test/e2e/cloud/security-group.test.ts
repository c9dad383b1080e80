// The security group translation, pinned to the EC2 documentation: ingress rules only, any rule
// admits, protocol "-1" is every protocol, other protocols by number, ICMP type/code in the port
// fields, `self` admits the group's members, stateful (responses to allowed traffic pass). The
// live behaviour, public addresses included, is in gateway.test.ts.
// https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FirewallSpec, groupRules, nftRuleset, protocolMatch } from "./security-group";

const spec: FirewallSpec = {
    bridge: "clab0",
    subnetCidr: "10.42.1.0/24",
    routerIp: "10.42.1.1",
    outside: [
        { hostInterface: "clab-op", cidr: "198.18.10.0/24" },
        { hostInterface: "clab-run", cidr: "198.19.20.0/24" },
    ],
    imds: { ip: "198.18.0.1", port: 8169 },
    groups: [
        {
            id: "sg-1",
            ingress: [
                { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.18.10.0/24"] },
                { protocol: "udp", fromPort: 7946, toPort: 7946, self: true },
                { protocol: "50", fromPort: 0, toPort: 0, self: true },
            ],
        },
    ],
    instances: [
        { id: "i-a", ip: "10.42.1.11", publicIp: "198.51.100.40", securityGroupIds: ["sg-1"] },
        { id: "i-b", ip: "10.42.1.12", publicIp: "", securityGroupIds: [] },
    ],
};

describe("security group as nftables", () => {
    it("translates protocols: tcp/udp with port ranges, -1 for all, ICMP type and code, IP protocol numbers", () => {
        expect(protocolMatch({ protocol: "tcp", fromPort: 22, toPort: 22 })).toBe("meta l4proto tcp th dport 22");
        expect(protocolMatch({ protocol: "tcp", fromPort: 2379, toPort: 2380 })).toBe("meta l4proto tcp th dport 2379-2380");
        expect(protocolMatch({ protocol: "tcp", fromPort: 0, toPort: 65535 })).toBe("meta l4proto tcp");
        expect(protocolMatch({ protocol: "udp", fromPort: 4789, toPort: 4789 })).toBe("meta l4proto udp th dport 4789");
        expect(protocolMatch({ protocol: "-1", fromPort: 0, toPort: 0 })).toBe("");
        expect(protocolMatch({ protocol: "icmp", fromPort: -1, toPort: -1 })).toBe("meta l4proto icmp");
        expect(protocolMatch({ protocol: "icmp", fromPort: 8, toPort: 0 })).toBe("meta l4proto icmp icmp type 8 icmp code 0");
        expect(protocolMatch({ protocol: "50", fromPort: 0, toPort: 0 })).toBe("meta l4proto 50");
        expect(protocolMatch({ protocol: "4", fromPort: 0, toPort: 0 })).toBe("meta l4proto 4");
        expect(() => protocolMatch({ protocol: "gre", fromPort: 0, toPort: 0 })).toThrow(/unknown protocol/);
    });

    it("admits the rule's CIDRs, the group's own members (self) and referenced groups' members", () => {
        expect(groupRules(spec.groups[0])).toEqual([
            "ip saddr { 198.18.10.0/24 } meta l4proto tcp th dport 22 accept",
            "ip saddr @members_sg_1 meta l4proto udp th dport 7946 accept",
            "ip saddr @members_sg_1 meta l4proto 50 accept",
        ]);
        expect(
            groupRules({
                id: "sg-2",
                ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, securityGroups: ["sg-1"], cidrBlocks: ["10.42.1.0/24"] }],
            }),
        ).toEqual(["ip saddr { 10.42.1.0/24 } accept", "ip saddr @members_sg_1 accept"]);
    });

    it("is stateful, drops what no group admits, filters the host's own traffic except DHCP, routes only to the subnet", () => {
        const rules = nftRuleset(spec);
        expect(rules).toContain("elements = { 10.42.1.11 }");
        expect(rules).toMatch(/chain to_instance \{\n {4}ct state established,related accept/);
        expect(rules).toMatch(/chain instance_i_b \{\n {4}drop/);
        expect(rules).toContain(
            'oifname "clab0" udp sport 67 udp dport 68 accept\n    oifname "clab0" ip daddr 10.42.1.0/24 jump to_instance',
        );
        expect(rules).toContain('iifname { "clab-op", "clab-run" } ip daddr != 10.42.1.0/24 drop');
        expect(rules).toContain("ip daddr 169.254.169.254 tcp dport 80 dnat ip to 198.18.0.1:8169");
    });

    it("maps public addresses 1:1 (none for a stopped instance), and filters after the gateway's source translation", () => {
        const rules = nftRuleset(spec);
        expect(rules).toContain("dnat ip to ip daddr map { 198.51.100.40 : 10.42.1.11 }");
        expect(rules).toContain(
            "ip saddr 10.42.1.0/24 ip daddr 10.42.1.0/24 ct status dnat snat ip to ip saddr map { 10.42.1.11 : 198.51.100.40 }",
        );
        expect(rules).toMatch(/type filter hook postrouting priority srcnat \+ 10;[^}]*jump to_instance/);
        expect(rules).not.toMatch(/hook forward[^}]*jump to_instance/);
        // `!=` on a flag compares the whole status word; `!` tests the bit.
        expect(rules).toContain('iifname { "clab-op", "clab-run" } ct state new ct status ! dnat drop');
    });

    it.runIf(process.getuid?.() === 0)("is a ruleset nft accepts", () => {
        execFileSync("nft", ["-c", "-f", "-"], { input: nftRuleset(spec) });
    });
});
