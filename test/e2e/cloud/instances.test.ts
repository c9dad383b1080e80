// RunInstances' user data as EC2 takes it: at most 16 KiB in raw form, before base64, whichever of
// the provider's user_data and user_data_base64 carries it (they conflict).
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html ("limited to 16 KB, in raw form")
// An image of another architecture than the instance type's is refused with EC2's InvalidParameterValue.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkArchitecture, checkOffered, DEBIAN_OWNER, LocalCloud, RunInstanceSpec, USER_DATA_LIMIT, userDataBytes } from "./vms";

const spec = (userData: Buffer): RunInstanceSpec => ({
    ami: "ami-none",
    instanceType: "t3.small",
    keyName: "none",
    subnetId: "subnet-none",
    securityGroupIds: [],
    userData,
    tags: {},
    metadataOptions: {},
    shutdownBehavior: "terminate",
});

describe("instances", () => {
    it("take user data as text or as base64, the raw bytes either way, never both", () => {
        expect(userDataBytes({ userData: "#cloud-config\n" }).toString()).toBe("#cloud-config\n");
        const raw = randomBytes(64);
        expect(userDataBytes({ userDataBase64: raw.toString("base64") }).equals(raw)).toBe(true);
        expect(() => userDataBytes({ userData: "a", userDataBase64: "YQ==" })).toThrow(/conflicts with user_data_base64/);
    });

    it("refuse user data over 16 KiB before anything is launched, as RunInstances does", () => {
        const cloud = new LocalCloud();
        expect(() => cloud.runInstance(spec(Buffer.alloc(USER_DATA_LIMIT + 1, "a")))).toThrow(
            "InvalidParameterValue: User data is limited to 16384 bytes",
        );
        // 16 KiB of base64 is only 12 KiB raw: the limit counts the raw form.
        const raw = userDataBytes({ userDataBase64: randomBytes(12_288).toString("base64") });
        expect(raw.length).toBeLessThan(USER_DATA_LIMIT);
    });

    it("refuse an image of another architecture than the instance type's processor, as RunInstances does", () => {
        const image = (architecture: string) => ({
            id: "ami-1",
            name: "debian-12",
            architecture,
            ownerId: DEBIAN_OWNER,
            creationDate: "2026-11-01T00:00:00.000Z",
            virtualizationType: "hvm",
        });
        expect(() => checkArchitecture("t3.small", image("x86_64"))).not.toThrow();
        expect(() => checkArchitecture("t4g.small", image("arm64"))).not.toThrow();
        expect(() => checkArchitecture("t4g.small", image("x86_64"))).toThrow(
            "InvalidParameterValue: The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI.",
        );
        expect(() => checkArchitecture("t3.small", image("arm64"))).toThrow(/architecture 'x86_64' of the specified instance type/);
    });

    it("refuse a type the subnet's zone does not offer, naming the zones that do, as RunInstances does", () => {
        expect(() => checkOffered("local-1b", "t3.small")).not.toThrow();
        expect(() => checkOffered("local-1a", "t3.small")).toThrow(
            "Unsupported: Your requested instance type (t3.small) is not supported in your requested Availability Zone (local-1a). " +
                "Please retry your request by not specifying an Availability Zone or choosing local-1b.",
        );
    });
});
