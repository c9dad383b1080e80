// The local cloud's network outside the VPC bridge: two outside addresses in network namespaces
// (the operator inside allowedCidr, the CI runner outside it), routed by the host to the VPC subnet
// only, and a local address for the cloud's own services (checkip, the IMDS backend). The security
// groups are applied here as one nftables table (security-group.ts builds it).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FirewallSpec, nftRuleset, TABLE } from "./security-group";

export interface OutsideAddress {
    /** Network namespace the address lives in. */
    namespace: string;
    /** Host end of the veth pair. */
    hostInterface: string;
    hostIp: string;
    ip: string;
    cidr: string;
}

export type Vantage = "operator" | "runner";

export const OUTSIDE: Record<Vantage, OutsideAddress> = {
    operator: { namespace: "clab-operator", hostInterface: "clab-op", hostIp: "198.18.10.1", ip: "198.18.10.10", cidr: "198.18.10.0/24" },
    runner: { namespace: "clab-runner", hostInterface: "clab-run", hostIp: "198.19.20.1", ip: "198.19.20.10", cidr: "198.19.20.0/24" },
};

/** The cloud's services on the host: checkip on port 80, the IMDS backend (DNATed from 169.254.169.254:80). */
export const SERVICES = { device: "lo", ip: "198.18.0.1", checkipPort: 80, imdsPort: 8169 };
export const CHECKIP_URL = `http://${SERVICES.ip}:${SERVICES.checkipPort}/`;

/**
 * The instances' public addresses (TEST-NET-2): the host plays the Internet gateway, mapping each
 * one to its instance's private address. Only the host routes them: they exist on this machine alone.
 */
export const PUBLIC_CIDR = "198.51.100.0/24";

/** Routes the VMs get by DHCP option 121: back to the outside addresses, the public ones, the IMDS. */
export const VM_ROUTES = [...Object.values(OUTSIDE).map((o) => o.cidr), PUBLIC_CIDR, "169.254.169.254/32"];

/**
 * A command in the host's network namespace. Engine runs live inside an outside namespace (as a
 * user's CLI lives on their machine) yet act for the cloud too: E2E_HOST_NETNS names the host's.
 */
export function hostCommand(cmd: string, args: string[]): [string, string[]] {
    const netns = process.env.E2E_HOST_NETNS;
    return netns ? ["nsenter", [`--net=${netns}`, "--", cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], input?: string): string {
    const [file, argv] = hostCommand(cmd, args);
    return execFileSync(file, argv, { encoding: "utf8", input, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
}

function quietly(cmd: string, args: string[]): boolean {
    try {
        run(cmd, args);
        return true;
    } catch {
        return false;
    }
}

const linkExists = (name: string) => quietly("ip", ["link", "show", "dev", name]);
const namespaceExists = (name: string) =>
    run("ip", ["netns", "list"])
        .split("\n")
        .some((l) => l.split(" ")[0] === name);

/** Namespaces, veths, the services address, and forwarding on (the firewall restricts it). Idempotent. */
export function outsideUp(stateDir: string): void {
    if (!run("ip", ["-4", "addr", "show", "dev", SERVICES.device]).includes(` ${SERVICES.ip}/32 `)) {
        run("ip", ["addr", "add", `${SERVICES.ip}/32`, "dev", SERVICES.device]);
    }
    for (const o of Object.values(OUTSIDE)) {
        if (!namespaceExists(o.namespace)) run("ip", ["netns", "add", o.namespace]);
        if (!linkExists(o.hostInterface)) {
            run("ip", ["link", "add", o.hostInterface, "type", "veth", "peer", "name", "eth0", "netns", o.namespace]);
            run("ip", ["addr", "add", `${o.hostIp}/24`, "dev", o.hostInterface]);
            run("ip", ["link", "set", o.hostInterface, "up"]);
            const ns = ["netns", "exec", o.namespace, "ip"];
            run("ip", [...ns, "link", "set", "lo", "up"]);
            run("ip", [...ns, "addr", "add", `${o.ip}/24`, "dev", "eth0"]);
            run("ip", [...ns, "link", "set", "eth0", "up"]);
            run("ip", [...ns, "route", "add", "default", "via", o.hostIp]);
        }
        // A host whose FORWARD policy is DROP (Docker installed) must still route these.
        for (const dir of [
            ["-i", o.hostInterface],
            ["-o", o.hostInterface],
        ]) {
            if (!quietly("iptables", ["-w", "-C", "FORWARD", ...dir, "-j", "ACCEPT"]))
                run("iptables", ["-w", "-I", "FORWARD", "1", ...dir, "-j", "ACCEPT"]);
        }
    }
    const saved = path.join(stateDir, "ip_forward.before");
    if (!fs.existsSync(saved)) {
        fs.mkdirSync(stateDir, { recursive: true });
        fs.writeFileSync(saved, fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8"));
    }
    fs.writeFileSync("/proc/sys/net/ipv4/ip_forward", "1\n");
}

export function outsideDown(stateDir: string): void {
    removeFirewall();
    for (const o of Object.values(OUTSIDE)) {
        for (const dir of [
            ["-i", o.hostInterface],
            ["-o", o.hostInterface],
        ]) {
            while (quietly("iptables", ["-w", "-C", "FORWARD", ...dir, "-j", "ACCEPT"]))
                run("iptables", ["-w", "-D", "FORWARD", ...dir, "-j", "ACCEPT"]);
        }
        if (linkExists(o.hostInterface)) run("ip", ["link", "del", o.hostInterface]);
        if (namespaceExists(o.namespace)) run("ip", ["netns", "del", o.namespace]);
    }
    quietly("ip", ["addr", "del", `${SERVICES.ip}/32`, "dev", SERVICES.device]);
    const saved = path.join(stateDir, "ip_forward.before");
    if (fs.existsSync(saved)) {
        fs.writeFileSync("/proc/sys/net/ipv4/ip_forward", fs.readFileSync(saved, "utf8"));
        fs.rmSync(saved);
    }
}

export function applyFirewall(spec: FirewallSpec): void {
    // Bridged IPv4 must pass the inet hooks for the groups to apply between instances.
    run("sysctl", ["-qw", "net.bridge.bridge-nf-call-iptables=1"]);
    run("nft", ["-f", "-"], nftRuleset(spec));
}

export function removeFirewall(): void {
    quietly("nft", ["delete", "table", "inet", TABLE]);
}

/**
 * The operator's machine gets a new address on its network (a laptop on another Wi-Fi): every new
 * connection from it leaves from `ip`, as checkip then reports. Returns the move back.
 */
export function moveOperator(ip: string): () => void {
    const o = OUTSIDE.operator;
    const ns = ["netns", "exec", o.namespace, "ip"];
    const routeFrom = (src: string) => run("ip", [...ns, "route", "replace", "default", "via", o.hostIp, "src", src]);
    run("ip", [...ns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
    routeFrom(ip);
    return () => {
        routeFrom(o.ip);
        run("ip", [...ns, "addr", "del", `${ip}/24`, "dev", "eth0"]);
    };
}

/** The command prefix that runs a program from an outside address. */
export function fromOutside(where: Vantage): string[] {
    return ["ip", "netns", "exec", OUTSIDE[where].namespace];
}
