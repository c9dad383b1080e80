// The local cloud's Internet gateway and security groups, live: the real ruleset (nftRuleset) in a
// network namespace playing the host, two instances and an operator in namespaces of their own.
// Pinned to EC2's documented behaviour: the outside reaches an instance only at its public address,
// keeping its own source; an instance that reaches another's public address leaves through the
// gateway and arrives from its own public address, so a `self` rule (private addresses) does not
// admit it. https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html ("the
// private IP addresses of the resources associated with the referenced security group").
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FirewallSpec, nftRuleset } from "./security-group";

const tag = `g${process.pid % 100000}`;
const ns = { host: `${tag}-host`, op: `${tag}-op`, a: `${tag}-a`, b: `${tag}-b` };
const OPERATOR = "198.18.77.10";
const A = { id: "i-a", ip: "10.77.1.11", publicIp: "198.51.100.201", securityGroupIds: ["sg-lab"] };
const B = { id: "i-b", ip: "10.77.1.12", publicIp: "198.51.100.37", securityGroupIds: ["sg-lab"] };
const spec: FirewallSpec = {
    bridge: `${tag}-br`,
    subnetCidr: "10.77.1.0/24",
    routerIp: "10.77.1.1",
    outside: [{ hostInterface: `${tag}-ho`, cidr: "198.18.77.0/24" }],
    imds: { ip: "198.18.0.1", port: 8169 },
    groups: [
        {
            id: "sg-lab",
            ingress: [
                { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.18.77.0/24"] },
                { protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["198.51.100.0/24"] },
                { protocol: "-1", fromPort: 0, toPort: 0, self: true },
            ],
        },
    ],
    instances: [A, B],
};

const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const inNs = (name: string, ...argv: string[]) => sh("ip", "netns", "exec", name, ...argv);

/** Each port answers with the source address it saw. */
const SERVER = `for (const port of [22, 7946, 8080]) require("node:net").createServer((s) => s.end(s.remoteAddress)).listen(port, "0.0.0.0");`;
let server: ChildProcess | undefined;

/** What the server on `to` saw as the source, or "unreachable" when nothing answered. */
function seenFrom(from: string, to: string, port: number): string {
    try {
        return inNs(from, "curl", "-s", "--max-time", "3", "--http0.9", `telnet://${to}:${port}`, "-o", "-").trim() || "unreachable";
    } catch {
        return "unreachable";
    }
}

function instanceNs(name: string, ip: string, veth: string): void {
    sh("ip", "netns", "add", name);
    sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name);
    sh("ip", "link", "set", veth, "netns", ns.host);
    inNs(ns.host, "ip", "link", "set", veth, "master", spec.bridge, "up");
    inNs(name, "ip", "addr", "add", `${ip}/24`, "dev", "eth0");
    inNs(name, "ip", "link", "set", "eth0", "up");
    inNs(name, "ip", "link", "set", "lo", "up");
    for (const net of ["198.18.77.0/24", "198.51.100.0/24"]) inNs(name, "ip", "route", "add", net, "via", spec.routerIp);
}

function teardown(): void {
    server?.kill();
    for (const name of Object.values(ns)) {
        try {
            sh("ip", "netns", "del", name);
        } catch {
            // not created
        }
    }
}

describe.runIf(process.getuid?.() === 0)("the local cloud's gateway and groups, live in namespaces", () => {
    beforeAll(() => {
        teardown();
        sh("ip", "netns", "add", ns.host);
        inNs(ns.host, "ip", "link", "set", "lo", "up");
        inNs(ns.host, "ip", "link", "add", spec.bridge, "type", "bridge");
        inNs(ns.host, "ip", "addr", "add", `${spec.routerIp}/24`, "dev", spec.bridge);
        inNs(ns.host, "ip", "link", "set", spec.bridge, "up");
        inNs(ns.host, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        inNs(ns.host, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1");
        sh("ip", "netns", "add", ns.op);
        sh("ip", "link", "add", spec.outside[0].hostInterface, "type", "veth", "peer", "name", "eth0", "netns", ns.op);
        sh("ip", "link", "set", spec.outside[0].hostInterface, "netns", ns.host);
        inNs(ns.host, "ip", "addr", "add", "198.18.77.1/24", "dev", spec.outside[0].hostInterface);
        inNs(ns.host, "ip", "link", "set", spec.outside[0].hostInterface, "up");
        inNs(ns.op, "ip", "addr", "add", `${OPERATOR}/24`, "dev", "eth0");
        inNs(ns.op, "ip", "link", "set", "eth0", "up");
        inNs(ns.op, "ip", "route", "add", "default", "via", "198.18.77.1");
        instanceNs(ns.a, A.ip, `${tag}-va`);
        instanceNs(ns.b, B.ip, `${tag}-vb`);
        execFileSync("ip", ["netns", "exec", ns.host, "nft", "-f", "-"], { input: nftRuleset(spec) });
        server = spawn("ip", ["netns", "exec", ns.a, process.execPath, "-e", SERVER], { stdio: "ignore" });
        // Listening once the instance itself gets an answer on its last port.
        const deadline = Date.now() + 30_000;
        while (seenFrom(ns.a, A.ip, 8080) === "unreachable") if (Date.now() > deadline) throw new Error("server did not listen");
    });
    afterAll(teardown);

    it("lets the outside in at the public address only, keeping the operator's own source", () => {
        expect(seenFrom(ns.op, A.publicIp, 22)).toBe(OPERATOR);
        expect(seenFrom(ns.op, A.ip, 22)).toBe("unreachable");
        // Port 7946 is open to the group's members only.
        expect(seenFrom(ns.op, A.publicIp, 7946)).toBe("unreachable");
    });

    it("admits a member at its private address by `self`; at the public address it arrives from its own public one", () => {
        expect(seenFrom(ns.b, A.ip, 7946)).toBe(B.ip);
        expect(seenFrom(ns.b, A.publicIp, 7946)).toBe("unreachable");
        // A rule for the public range admits it, and shows the source the gateway gave it.
        expect(seenFrom(ns.b, A.publicIp, 8080)).toBe(B.publicIp);
    });
});
