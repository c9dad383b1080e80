// The common configuration keys and the Swarm lab's own: defaults, every rule, one error per mistake,
// misspelt keys, allowedCidr against this machine's address, and that a bad configuration stops the
// program before any resource.
import { describe, expect, it } from "vitest";
import { parseLabConfig, resolveAllowedCidr } from "../../components/config";
import { recorder, runLab } from "../harness";
import { configError, configOf, configProblems, ENV, raw } from "../support/config";
import { OPERATOR_PUBLIC_KEY } from "../support/ssh-keys";

describe("configuration", () => {
    it("has the documented defaults", () => {
        expect(configOf({})).toMatchObject({
            orchestrator: "swarm",
            managers: 1,
            workers: 2,
            instanceType: "t3.small",
            os: "debian-12",
            allowedCidrs: ["auto"],
            nginxImage: "nginx:1.27",
            nginxReplicas: 3,
            publishedPort: 8001,
            globalPublishedPort: 8002,
            drainManagers: false,
            spot: false,
            ttlMinutes: 480,
            region: "ap-northeast-2",
            sampleApp: true,
            form: "cluster",
            visualizer: false,
            openPorts: [
                { from: 7070, to: 7070 },
                { from: 8000, to: 8099 },
            ],
        });
    });

    it.each([
        [{ managers: "2" }, 'lab:managers is "2": must be odd'],
        [{ managers: "0" }, 'lab:managers is "0": must be a whole number from 1 to 7'],
        [{ managers: "three" }, 'lab:managers is "three": must be a whole number from 1 to 7'],
        [{ workers: "-1" }, 'lab:workers is "-1": must be a whole number from 0 to 50'],
        [{ workers: "1.5" }, 'lab:workers is "1.5": must be a whole number'],
        [{ orchestrator: "nomad" }, 'lab:orchestrator is "nomad": must be one of swarm, kubernetes'],
        [{ orchestrator: "Kubernetes" }, 'lab:orchestrator is "Kubernetes": must be one of swarm, kubernetes (did you mean kubernetes?)'],
        [{ os: "centos-7" }, 'lab:os is "centos-7": must be one of debian-12, ubuntu-24.04'],
        [{ instanceType: "small" }, 'lab:instanceType is "small": must be an EC2 instance type'],
        [{ instanceType: "foo.bar" }, 'lab:instanceType is "foo.bar": must be an EC2 instance type the AWS provider knows'],
        [{ allowedCidr: "10.0.0.0/33" }, 'lab:allowedCidr is "10.0.0.0/33": must be IPv4 CIDRs'],
        [{ allowedCidr: "10.0.0.1/24" }, 'lab:allowedCidr is "10.0.0.1/24": must be IPv4 CIDRs'],
        [{ allowedCidr: "auto,10.0.0.1/24" }, 'lab:allowedCidr is "auto,10.0.0.1/24": must be IPv4 CIDRs'],
        [{ allowedCidr: "300.1.1.1/32" }, 'lab:allowedCidr is "300.1.1.1/32"'],
        [{ sshPublicKey: "not a key" }, 'lab:sshPublicKey is "not a key": must be one OpenSSH public key line'],
        [{ nginxImage: "Nginx Latest" }, 'lab:nginxImage is "Nginx Latest": must have a lowercase repository name'],
        [{ nginxImage: "nginx::1" }, 'lab:nginxImage is "nginx::1": must be an image reference'],
        [{ nginxReplicas: "0" }, 'lab:nginxReplicas is "0": must be a whole number from 1 to 100'],
        [{ publishedPort: "70000" }, 'lab:publishedPort is "70000": must be a whole number from 1 to 65535'],
        [{ publishedPort: "2377" }, 'lab:publishedPort is "2377": is reserved for Swarm management'],
        [{ publishedPort: "22" }, 'lab:publishedPort is "22": is reserved for SSH'],
        [{ globalPublishedPort: "8001" }, 'lab:globalPublishedPort is "8001": must differ from lab:publishedPort (8001)'],
        [{ drainManagers: "yes" }, 'lab:drainManagers is "yes": must be true or false'],
        [{ drainManagers: "true", workers: "0" }, 'lab:drainManagers is "true": needs at least one worker'],
        [{ spot: "1" }, 'lab:spot is "1": must be true or false'],
        [{ ttlHours: "1000" }, 'lab:ttlHours is "1000": must be a whole number from 0 to 720'],
        [{ ttl: "8 hours" }, 'lab:ttl is "8 hours": must be a duration such as 8h, 90m or 2h30m'],
        [{ ttl: "721h" }, 'lab:ttl is "721h": must be a duration such as 8h, 90m or 2h30m, at most 720h'],
        [{ ttl: "8h", ttlHours: "8" }, 'lab:ttlHours is "8": is the older form of lab:ttl, which is set too'],
        [{ sampleApp: "no" }, 'lab:sampleApp is "no": must be true or false'],
        [{ form: "manual" }, 'lab:form is "manual": must be one of cluster, nodes'],
        [
            { openPorts: "8000-8099,2377" },
            'lab:openPorts is "8000-8099,2377": must leave the cluster\'s ports closed to the outside: "2377" covers Swarm management (2377',
        ],
        [
            { openPorts: "22" },
            'lab:openPorts is "22": must leave the cluster\'s ports closed to the outside: "22" covers SSH (22; SSH is opened by the lab itself)',
        ],
        [
            { openPorts: "9000-8000" },
            'lab:openPorts is "9000-8000": must be ports and ranges such as 7070,8000-8099 (1-65535), comma-separated: "9000-8000" is not one',
        ],
        [{ visualizer: "on" }, 'lab:visualizer is "on": must be true or false'],
        [{ loadBalancer: "1" }, 'lab:loadBalancer is "1": must be true or false'],
    ])("rejects %j", (values, message) => {
        expect(configError(values)).toContain(message);
    });

    it("reads the ttl as a duration, or the older whole hours", () => {
        expect(configOf({ ttl: "90m" }).ttlMinutes).toBe(90);
        expect(configOf({ ttl: "2h30m" }).ttlMinutes).toBe(150);
        expect(configOf({ ttl: "1m" }).ttlMinutes).toBe(1);
        expect(configOf({ ttl: "0" }).ttlMinutes).toBe(0);
        expect(configOf({ ttlHours: "3" }).ttlMinutes).toBe(180);
        expect(configOf({}).ttlMinutes).toBe(480);
    });

    it("lists every problem at once, one per mistake", () => {
        expect(configProblems({ managers: "4", workers: "x", "aws:region": "seoul" })).toEqual([
            'aws:region is "seoul": must be an AWS region the AWS provider knows, such as ap-northeast-2 or us-east-1',
            'lab:workers is "x": must be a whole number from 0 to 50',
            'lab:managers is "4": must be odd (1, 3, 5 or 7) so that Raft keeps a quorum',
        ]);
    });

    it("reports a refused value once, never again through a rule that would read its default", () => {
        // publishedPort's default (8001) would equal globalPublishedPort, and 0.0.0.0/0 would need allowWideCidr.
        expect(configProblems({ publishedPort: "abc", globalPublishedPort: "8001" })).toEqual([
            'lab:publishedPort is "abc": must be a whole number from 1 to 65535',
        ]);
        expect(configProblems({ allowedCidr: "0.0.0.0/0", allowWideCidr: "yes" })).toEqual([
            'lab:allowWideCidr is "yes": must be true or false',
        ]);
        expect(configProblems({ ttlHours: "1000", ttl: "8h" })).toEqual(['lab:ttlHours is "1000": must be a whole number from 0 to 720']);
    });

    it("still reports the common keys' own problems when lab:orchestrator is refused, and nothing it cannot judge", () => {
        // Kubernetes keys and a manager count only an orchestrator can judge stay silent.
        expect(
            configProblems({
                orchestrator: "Kubernetes",
                cni: "flannel",
                podCidr: "10.244.0.0/16",
                managers: "2",
                workers: "x",
                nginxImage: "Nginx",
            }),
        ).toEqual([
            'lab:orchestrator is "Kubernetes": must be one of swarm, kubernetes (did you mean kubernetes?)',
            'lab:workers is "x": must be a whole number from 0 to 50',
            'lab:nginxImage is "Nginx": must have a lowercase repository name, and "Nginx" has capitals (a tag may have them)',
        ]);
    });

    it("needs ssh-agent when the operator brings a public key", () => {
        expect(configError({ sshPublicKey: OPERATOR_PUBLIC_KEY })).toContain("SSH_AUTH_SOCK is not set");
        expect(configOf({ sshPublicKey: OPERATOR_PUBLIC_KEY }, { region: "eu-west-1", sshAgentSocket: "/tmp/agent" }).sshPublicKey).toBe(
            OPERATOR_PUBLIC_KEY,
        );
    });

    it("fails the program before any resource is registered", async () => {
        await expect(runLab({ managers: "2" })).rejects.toThrow(/lab:managers is "2"/);
        expect(recorder.resources).toEqual([]);
    });
});

describe("misspelt keys", () => {
    it.each([
        ["lab:worker", "did you mean lab:workers?"],
        ["lab:Workers", "did you mean lab:workers?"],
        ["lab:ttlhours", "did you mean lab:ttlHours?"],
        ["lab:allowedCIDR", "did you mean lab:allowedCidr?"],
        ["lab:nginx_image", "did you mean lab:nginxImage?"],
        ["aws:regoin", "did you mean aws:region?"],
        ["aws:Profile", "did you mean aws:profile?"],
    ])("%s is an error naming the nearest key, seen by the program through every set key", async (key, hint) => {
        // runLab sets the stack's whole configuration, as `pulumi up` does: the program finds the key itself.
        await expect(runLab({ [key]: "3" })).rejects.toThrow(`${key} is not`);
        await expect(runLab({ [key]: "3" })).rejects.toThrow(hint);
        expect(recorder.resources).toEqual([]);
        expect(configProblems({ [key]: "3" })).toHaveLength(1);
    });

    it("lists the lab's keys when none is close, and never quotes an unknown key's value (it may be a secret)", () => {
        const [problem] = configProblems({ "lab:databasePassword": "hunter2-secret" });
        expect(problem).toMatch(
            /^lab:databasePassword is not a key this lab reads, and no known key is close to it: the lab's keys are orchestrator, managers, workers/,
        );
        expect(problem).not.toContain("hunter2");
        expect(
            configProblems({
                "aws:accessKey": "AKIA...",
                "aws:skipCredentialsValidation": "true",
                "kubernetes:context": "x",
                "cluster-lab:anything": "x",
            }),
        ).toEqual([]);
    });

    it("keeps a key of the other orchestrator its own error", () => {
        expect(configProblems({ cni: "flannel" })).toEqual([
            'lab:cni is "flannel": applies to lab:orchestrator kubernetes only, and this lab is swarm; remove it (pulumi config rm lab:cni)',
        ]);
    });
});

describe("allowedCidr against this machine's address", () => {
    it("resolves auto to the caller's /32, and fails clearly when the lookup does", async () => {
        const config = parseLabConfig(raw({}), ENV);
        const resolved = await resolveAllowedCidr(config, async () => "198.51.100.23\n".trim());
        expect(resolved.allowedCidrs).toEqual(["198.51.100.23/32"]);
        expect(resolved.operatorAddress).toBe("198.51.100.23");
        await expect(
            resolveAllowedCidr(config, async () => {
                throw new Error("getaddrinfo ENOTFOUND");
            }),
        ).rejects.toThrow(/lab:allowedCidr is "auto" but your public address could not be looked up \(getaddrinfo ENOTFOUND\)/);
        await expect(resolveAllowedCidr(config, async () => "<html>")).rejects.toThrow(/answered "<html>", not an IPv4 address/);
        const both = parseLabConfig(raw({ allowedCidr: "auto, 192.0.2.0/24" }), ENV);
        expect((await resolveAllowedCidr(both, async () => "198.51.100.23")).allowedCidrs).toEqual(["198.51.100.23/32", "192.0.2.0/24"]);
    });

    it("refuses an explicit allowedCidr that leaves out this machine, before any resource exists", async () => {
        const fixed = parseLabConfig(raw({ allowedCidr: "192.0.2.0/24" }), ENV);
        expect((await resolveAllowedCidr(fixed, async () => "192.0.2.99")).allowedCidrs).toEqual(["192.0.2.0/24"]);
        await expect(resolveAllowedCidr(fixed, async () => "198.51.100.23")).rejects.toThrow(
            'lab:allowedCidr is "192.0.2.0/24" but this machine\'s public address 198.51.100.23 is outside it',
        );
        // A lookup that fails cannot prove anything: the explicit CIDRs stand, with a warning.
        expect(
            (
                await resolveAllowedCidr(fixed, async () => {
                    throw new Error("offline");
                })
            ).allowedCidrs,
        ).toEqual(["192.0.2.0/24"]);
        await expect(runLab({ allowedCidr: "192.0.2.0/24" })).rejects.toThrow(/198\.51\.100\.7 is outside it/);
        expect(recorder.resources).toEqual([]);
    });
});
