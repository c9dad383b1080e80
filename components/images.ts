// The images a lab boots, and the architecture an instance type needs.
import { OsName } from "./config/common";

/** The default login user of each image, as its cloud-init sets it up on EC2. */
export const OS_IMAGES: Record<OsName, { user: string; owner: string; namePattern: (arch: string) => string }> = {
    "debian-12": { user: "admin", owner: "136693071363", namePattern: (arch) => `debian-12-${arch}-*` },
    "ubuntu-24.04": {
        user: "ubuntu",
        owner: "099720109477",
        namePattern: (arch) => `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === "arm64" ? "arm64" : "amd64"}-server-*`,
    },
};

/**
 * The architecture of an instance type's processor, read from its family name (AWS's naming:
 * family letters, generation, then attributes, where `g` is AWS Graviton): `t4g`, `c7gn`, `x2gd`,
 * `im4gn`, `is4gen` are Graviton, as are `a1` (the first Graviton) and the Grace-based `*-gb200`.
 */
export function architectureOf(instanceType: string): "amd64" | "arm64" {
    const family = instanceType.split(".")[0];
    const parts = /^([a-z]+)(\d*)([a-z]*)(?:-(.*))?$/.exec(family);
    if (!parts) return "amd64";
    const [, letters, generation, attributes, suffix] = parts;
    if (letters === "a" && generation === "1") return "arm64";
    if (generation !== "" && attributes.includes("g")) return "arm64";
    return suffix !== undefined && /^gb\d+/.test(suffix) ? "arm64" : "amd64";
}
