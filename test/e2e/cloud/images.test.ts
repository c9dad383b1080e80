// DescribeImages as getAmi uses it: filter values are globs, owners restrict, mostRecent takes the
// newest creation date. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html
import { describe, expect, it } from "vitest";
import { ImageRecord } from "./state";
import { DEBIAN_OWNER, findImages, globMatch, macFor } from "./vms";

const image = (id: string, name: string, creationDate: string, ownerId = DEBIAN_OWNER): ImageRecord => ({
    id,
    name,
    architecture: "x86_64",
    ownerId,
    creationDate,
    virtualizationType: "hvm",
});
const images = [
    image("ami-old", "debian-12-amd64-20250101-1", "2025-01-01T00:00:00.000Z"),
    image("ami-new", "debian-12-amd64-20261123-9", "2026-11-23T08:00:00.000Z"),
    image("ami-other", "debian-12-amd64-20261201-1", "2026-12-01T00:00:00.000Z", "999999999999"),
    image("ami-ubuntu", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101", "2026-11-01T00:00:00.000Z"),
];

describe("images", () => {
    it("matches filter values as globs", () => {
        expect(globMatch("debian-12-*-*", "debian-12-amd64-20250101-1")).toBe(true);
        expect(globMatch("debian-12-amd64-2025010?-1", "debian-12-amd64-20250101-1")).toBe(true);
        expect(globMatch("debian-12-arm64-*", "debian-12-amd64-20250101-1")).toBe(false);
    });

    it("finds the owner's images matching every filter, newest first (mostRecent takes the first)", () => {
        const found = findImages(images, {
            owners: [DEBIAN_OWNER],
            filters: [
                { name: "name", values: ["debian-12-amd64-*"] },
                { name: "architecture", values: ["x86_64"] },
                { name: "virtualization-type", values: ["hvm"] },
            ],
        });
        expect(found.map((i) => i.id)).toEqual(["ami-new", "ami-old"]);
        expect(() => findImages(images, { filters: [{ name: "block-device-mapping.volume-type", values: ["gp3"] }] })).toThrow(
            /unsupported/,
        );
    });

    it("derives a locally administered MAC from the address", () => {
        expect(macFor("10.42.1.11")).toBe("52:54:00:2a:01:0b");
    });
});
