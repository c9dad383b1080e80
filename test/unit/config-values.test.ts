// The value grammars behind the common keys: SSH public keys decoded, Docker image references,
// allowedCidr's ranges and width, instance types and their architecture, and how errors quote values.
import { describe, expect, it } from "vitest";
import { shown } from "../../components/config/keys";
import { architectureOf } from "../../components/images";
import { INSTANCE_TYPES } from "../../components/config/instance-types";
import { configOf, configProblems, onlyProblem } from "../support/config";
import { PUBLIC_KEYS } from "../support/ssh-keys";

const AGENT = { sshAgentSocket: "/tmp/agent.sock" };
const keyProblems = (sshPublicKey: string) => configProblems({ sshPublicKey }, AGENT);
/** The base64 field of a key line. */
const dataOf = (line: string) => line.split(" ")[1];

describe("lab:sshPublicKey", () => {
    it.each([
        PUBLIC_KEYS.ed25519,
        PUBLIC_KEYS.rsa2048,
        PUBLIC_KEYS.rsa3072,
        PUBLIC_KEYS.rsa4096,
        `ssh-ed25519 ${dataOf(PUBLIC_KEYS.ed25519)}`,
    ])("accepts %s", (key) => {
        expect(configOf({ sshPublicKey: key }, AGENT).sshPublicKey).toBe(key);
    });

    it.each([
        [
            "an ECDSA key",
            PUBLIC_KEYS.ecdsa256,
            'must be an ssh-ed25519 or ssh-rsa key, the types EC2 imports; "ecdsa-sha2-nistp256" is not one',
        ],
        ["an ECDSA P-521 key", PUBLIC_KEYS.ecdsa521, 'the types EC2 imports; "ecdsa-sha2-nistp521" is not one'],
        [
            "a security key",
            `sk-ssh-ed25519@openssh.com ${dataOf(PUBLIC_KEYS.ed25519)} x`,
            'the types EC2 imports; "sk-ssh-ed25519@openssh.com" is not one',
        ],
        [
            "a 1024-bit RSA key",
            PUBLIC_KEYS.rsa1024,
            "must be an RSA key of 2048 to 8192 bits (below 2048 is too weak), and this one has 1024",
        ],
        ["a truncated key", PUBLIC_KEYS.ed25519.slice(0, 60), "key data"],
        [
            "a truncated RSA key",
            `ssh-rsa ${dataOf(PUBLIC_KEYS.rsa2048).slice(0, 200)}`,
            "must be a whole key, and this one is cut short or corrupted",
        ],
        [
            "a key cut at a base64 boundary",
            `ssh-ed25519 ${dataOf(PUBLIC_KEYS.ed25519).slice(0, 44)}`,
            "must be a whole key, and this one is cut short or corrupted",
        ],
        [
            "an RSA key labelled ed25519",
            `ssh-ed25519 ${dataOf(PUBLIC_KEYS.rsa2048)}`,
            'must be one key, and this one says ssh-ed25519 but its key data is a "ssh-rsa" key',
        ],
        [
            "an ed25519 key labelled rsa",
            `ssh-rsa ${dataOf(PUBLIC_KEYS.ed25519)}`,
            'this one says ssh-rsa but its key data is a "ssh-ed25519" key',
        ],
        ["two keys on one line", `${PUBLIC_KEYS.ed25519}\n${PUBLIC_KEYS.rsa2048}`, "this has several lines"],
        ["authorized_keys options", `from="10.0.0.1" ${PUBLIC_KEYS.ed25519}`, "starting with its type (no authorized_keys options)"],
        ["no key data", "ssh-ed25519", "this has no key data after ssh-ed25519"],
        ["broken base64", "ssh-ed25519 AAAA!!!!", "its key data is not base64"],
        [
            "extra bytes after the key",
            `ssh-ed25519 ${Buffer.concat([Buffer.from(dataOf(PUBLIC_KEYS.ed25519), "base64"), Buffer.from([0, 0, 0, 0])]).toString("base64")}`,
            "must be a whole key, and this one is cut short or corrupted",
        ],
        [
            "a 31-byte ed25519 key",
            `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 31]), Buffer.alloc(31, 7)]).toString("base64")}`,
            "must hold an Ed25519 key of 32 bytes, and this one has 31",
        ],
        ["a DSA key", "ssh-dss AAAAB3NzaC1kc3MAAACBAP", '"ssh-dss" is not one'],
    ])("refuses %s", (_, key, message) => {
        const problem = onlyProblem({ sshPublicKey: key }, AGENT);
        expect(problem).toMatch(/^lab:sshPublicKey is /);
        expect(problem).toContain(message);
    });

    it("never quotes a private key pasted by mistake, armoured or not", () => {
        const pem =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
        const bodies = [
            pem,
            pem.split("\n")[1],
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwOh4zfZOx+Chb+QNag/8KqRCgV75gwH71ilEUn5tmh7RcGfl6fL7\n-----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAwOh4zfZOx+Chb+QNag/8KqRCgV75gwH71ilEUn5tmh7RcGfl6fL7",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDA6HjN9k7H4KFv5A1q",
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAAIG3cmX",
        ];
        for (const body of bodies) {
            const problems = keyProblems(body);
            expect(problems, body.slice(0, 40)).toEqual([
                "lab:sshPublicKey is a private key (not shown): must be the public half of your key (the .pub file; " +
                    "ssh-keygen -y -f <private key> prints it), and this is a private key: never put one in the stack's configuration",
            ]);
            for (const line of body.split("\n").filter((l) => !l.startsWith("-----"))) expect(problems[0]).not.toContain(line.slice(0, 16));
        }
        expect(shown("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB")).toBe("a private key (not shown)");
    });
});

describe("how errors quote values", () => {
    it("cuts long values, and escapes control, bidirectional and zero-width characters", () => {
        expect(shown("x".repeat(70_000))).toBe(`"${"x".repeat(80)}"... (70000 characters)`);
        expect(shown("a\u001b[31mb")).toBe('"a\\u001b[31mb"');
        expect(shown("evil\u202egnp.exe")).toBe('"evil\\u202egnp.exe"');
        expect(shown("zero\u200bwidth\u2028line")).toBe('"zero\\u200bwidth\\u2028line"');
    });

    it("escapes them in the parts of a value an explanation quotes, and in unknown keys' names", () => {
        const problems = [
            ...configProblems({ sshPublicKey: "ecdsa-sha2-\u001b[2J\u202e AAAA" }, AGENT),
            ...configProblems({ allowedCidr: "auto,\u001b]0;pwned\u0007" }),
            ...configProblems({ nginxImage: "Team\u001b[31m/nginx" }),
            ...configProblems({ "lab:work\u001bers": "2" }),
            ...configProblems({ openPorts: "8000,\u001b[2J\u202e" }), // a rule that quotes its entry as it is
        ];
        expect(problems).toHaveLength(5);
        for (const problem of problems) expect(problem).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
        expect(problems[0]).toContain("\\u001b[2J\\u202e");
    });
});

describe("lab:nginxImage, by Docker's reference grammar", () => {
    it.each([
        "nginx",
        "nginx:1.27",
        "nginx:Latest",
        "nginx:1.27-alpine",
        "library/nginx:1.27",
        "docker.io/library/nginx:1.27",
        "registry.example.com/team/nginx:1.27",
        "registry.example.com:5000/team/nginx",
        "localhost:5000/nginx",
        "localhost/nginx",
        "[::1]:5000/nginx:1",
        "Registry.Example.com/nginx",
        "cluster-lab/nginx:1",
        `nginx@sha256:${"a".repeat(64)}`,
        `nginx:1.27@sha256:${"0123456789abcdef".repeat(4)}`,
        `nginx@sha512:${"b".repeat(128)}`,
        "a__b/c-d--e.f_g:_tag",
        `nginx:${"t".repeat(128)}`,
        `${"a".repeat(247)}`,
        `team/${"a".repeat(250)}`,
        "yes",
        "1e3",
        "on",
    ])("accepts %s", (nginxImage) => {
        expect(configOf({ nginxImage }).nginxImage).toBe(nginxImage);
    });

    it.each([
        ["nginx::1", "must be an image reference"],
        ["nginx:1:2:3", "must be an image reference"],
        ["a..b", "must be an image reference"],
        ["a___b", "must be an image reference"],
        ["nginx:.hidden", "must be an image reference"],
        [`nginx:${"t".repeat(129)}`, "must be an image reference"],
        ["Nginx:1.27", 'must have a lowercase repository name, and "Nginx" has capitals'],
        ["team/Nginx", 'must have a lowercase repository name, and "team/Nginx" has capitals'],
        [`nginx@sha256:${"A".repeat(64)}`, "must have a sha256 digest of 64 lowercase hex digits"],
        [`nginx@sha256:${"a".repeat(63)}0a`, "must have a sha256 digest of 64 lowercase hex digits"],
        [`nginx@md5:${"a".repeat(32)}`, 'must have a sha256, sha384 or sha512 digest (what Docker verifies), not "md5"'],
        ["0123456789abcdef".repeat(4), "must be an image name, not a 64-hex image ID"],
        [`${"a".repeat(248)}`, "must have a repository name of at most 255 characters; this one has 256"], // docker.io/library/aaa...
        [`team/${"a".repeat(251)}`, "must have a repository name of at most 255 characters; this one has 256"],
        ["x".repeat(70_000), "must be an image reference of at most 1024 characters; this is 70000"],
        ["nginx latest", "must be an image reference"],
        ["nginx;rm -rf /", "must be an image reference"],
        ["$(reboot)", "must be an image reference"],
    ])("refuses %#: %s", (nginxImage, message) => {
        expect(onlyProblem({ nginxImage })).toContain(message);
    });

    it("refuses a 70,000-character value at once, not after a regex backtracks through it", () => {
        const started = performance.now();
        expect(configProblems({ nginxImage: `${"a-".repeat(511)}a!` })[0]).toContain("must be an image reference");
        expect(configProblems({ nginxImage: "a".repeat(70_000) })[0]).toContain("at most 1024 characters; this is 70000");
        expect(performance.now() - started).toBeLessThan(500);
    });
});

describe("lab:allowedCidr ranges", () => {
    it.each([
        ["0.0.0.0/0", "0.0.0.0/0 is 4,294,967,296 addresses"],
        ["0.0.0.0/1", "0.0.0.0/1 is 2,147,483,648 addresses"],
        ["128.0.0.0/1", "128.0.0.0/1 is 2,147,483,648 addresses"],
        ["auto,100.64.0.0/10", "100.64.0.0/10 is 4,194,304 addresses"],
        ["203.0.0.0/15", "203.0.0.0/15 is 131,072 addresses"],
    ])("needs lab:allowWideCidr for %s, then takes it", (allowedCidr, detail) => {
        expect(configProblems({ allowedCidr })).toEqual([
            `lab:allowedCidr is "${allowedCidr}": must be /16 or narrower unless lab:allowWideCidr is true: ${detail}, and everything the lab opens ` +
                "to allowedCidr (SSH, the published ports; under kubernetes the API and every NodePort) opens to all of them. " +
                "Narrow it, or opt in: pulumi config set lab:allowWideCidr true",
        ]);
        expect(configOf({ allowedCidr, allowWideCidr: "true" }).allowedCidrs).toEqual(allowedCidr.split(","));
    });

    it.each([
        ["10.42.0.0/16", "is inside the lab's own VPC (10.42.0.0/16)"],
        ["10.42.1.7/32", "is inside the lab's own VPC (10.42.0.0/16)"],
        ["127.0.0.1/32", "is loopback (127.0.0.0/8)"],
        ["169.254.169.254/32", "is link-local (169.254.0.0/16)"],
        ["224.0.0.0/4", "is multicast (224.0.0.0/4)"],
        ["239.1.2.3/32", "is multicast (224.0.0.0/4)"],
        ["240.0.0.0/4", "is reserved (240.0.0.0/4, with the broadcast address)"],
        ["255.255.255.255/32", "is reserved (240.0.0.0/4, with the broadcast address)"],
        ["0.0.0.0/8", 'is "this network" (0.0.0.0/8)'],
        ["0.0.0.0/32", 'is "this network" (0.0.0.0/8)'],
        ["010.0.0.0/8", '"010.0.0.0/8" is not one (canonical form, no leading zeros)'],
        ["10.0.0.1/24", '"10.0.0.1/24" has host bits set: its network is 10.0.0.0/24'],
        ["203.0.113.7", '"203.0.113.7" is an address without its prefix: write 203.0.113.7/32'],
        ["2001:db8::/32", '"2001:db8::/32" is IPv6'],
        ["auto,,203.0.113.0/24", "one of them is empty"],
        ["AUTO", '(did you mean "auto"?)'],
        ["203.0.113.0/24,203.0.113.0/24", '"203.0.113.0/24" is listed twice'],
    ])("refuses %s, even with lab:allowWideCidr", (allowedCidr, detail) => {
        for (const wide of [{}, { allowWideCidr: "true" }] as Record<string, string>[]) {
            const problem = onlyProblem({ allowedCidr, ...wide });
            expect(problem).toMatch(/^lab:allowedCidr is .*: must be IPv4 CIDRs such as 203\.0\.113\.7\/32, or "auto"/);
            expect(problem).toContain(detail);
        }
    });

    it("takes addresses operators have, documentation and benchmark ranges included", () => {
        const allowedCidr =
            "auto, 203.0.113.0/24, 198.51.100.7/32, 198.18.10.0/24, 11.0.0.0/16, 10.43.0.0/16, 172.16.0.0/16, 192.168.1.0/24";
        expect(configOf({ allowedCidr }).allowedCidrs).toEqual(allowedCidr.split(",").map((c) => c.trim()));
    });

    it("fits the security group: each entry takes a rule per port open to the operator, and EC2 allows 60", () => {
        const many = (n: number) => Array.from({ length: n }, (_, i) => `203.0.113.${i}/32`).join(",");
        expect(configOf({ allowedCidr: many(10) }).allowedCidrs).toHaveLength(10);
        const problem = onlyProblem({ allowedCidr: many(40) });
        expect(problem).toMatch(
            /^lab:allowedCidr is "203\.0\.113\.0\/32,.*\.\.\. \(\d+ characters\): must list at most \d+ entries for this lab: each one takes a security group rule/,
        );
        expect(problem).toContain("EC2 allows 60 inbound rules per security group");
        // Judged on a valid configuration only: with a refused openPorts the lab's ports are not known.
        expect(configProblems({ allowedCidr: many(40), openPorts: "22" })).toEqual([expect.stringMatching(/^lab:openPorts is "22"/)]);
    });
});

describe("lab:instanceType, from the AWS provider's list", () => {
    it("knows the provider's list", () => {
        expect(INSTANCE_TYPES.size).toBeGreaterThan(1000);
        for (const type of ["t3.small", "t4g.small", "a1.large", "m7i-flex.large", "c7gn.xlarge"])
            expect(INSTANCE_TYPES.has(type), type).toBe(true);
    });

    it.each([
        ["foo.bar", "must be an EC2 instance type the AWS provider knows, such as t3.small, t4g.small or m7i.large"],
        ["t3.smal", "(did you mean t3.small?)"],
        ["T3.small", "(did you mean t3.small?)"],
        ["t3-small", "(did you mean t3.small?)"],
        ["t3.4xlarge", "must be an EC2 instance type the AWS provider knows"],
        ["mac1.metal", "is a Mac instance: it runs only on a dedicated host and boots macOS"],
        ["mac2-m2pro.metal", "is a Mac instance"],
    ])("refuses %s", (instanceType, message) => {
        expect(onlyProblem({ instanceType })).toContain(message);
    });

    it.each([
        ["t3.small", "amd64"],
        ["t3a.large", "amd64"],
        ["m7i-flex.large", "amd64"],
        ["m8azn.large", "amd64"],
        ["g5.xlarge", "amd64"],
        ["gr6.4xlarge", "amd64"],
        ["u7i-12tb.224xlarge", "amd64"],
        ["inf2.xlarge", "amd64"],
        ["x8aedz.large", "amd64"],
        ["a1.large", "arm64"],
        ["a1.metal", "arm64"],
        ["t4g.small", "arm64"],
        ["m6gd.large", "arm64"],
        ["c7gn.xlarge", "arm64"],
        ["x2gd.large", "arm64"],
        ["im4gn.large", "arm64"],
        ["is4gen.large", "arm64"],
        ["g5g.xlarge", "arm64"],
        ["hpc7g.4xlarge", "arm64"],
        ["i8ge.large", "arm64"],
        ["c8gb.large", "arm64"],
        ["p6e-gb200.36xlarge", "arm64"],
    ])("boots %s with %s images", (type, arch) => {
        expect(architectureOf(type)).toBe(arch);
    });
});
