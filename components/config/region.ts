// The AWS region: from aws:region, else where the AWS provider itself looks (AWS_REGION,
// AWS_DEFAULT_REGION, the profile's region in the shared config file), checked against the
// provider's own list of regions.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Region } from "@pulumi/aws/types/enums";
import type { Settings } from "./keys";
import { didYouMean } from "./suggest";

export const REGIONS: readonly string[] = Object.values(Region);

/** Where a lab's region comes from when aws:region is not set: its value and where it was read. */
export interface EnvironmentRegion {
    region: string;
    /** "AWS_REGION", "AWS_DEFAULT_REGION", 'region of profile "default" in ~/.aws/config'. */
    source: string;
}

export const SET_REGION =
    "pulumi config set aws:region <region>, export AWS_REGION=<region>, or `aws configure set region <region>` for your AWS profile";

/** The `[default]` or `[profile NAME]` section of an AWS shared config file: its region, if any. */
export function profileRegion(text: string, profile: string): string | undefined {
    let inProfile = false;
    let region: string | undefined;
    for (const line of text.split(/\r?\n/)) {
        const section = /^\s*\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$/.exec(line);
        if (section) {
            const name = section[1].replace(/^profile\s+/, "");
            inProfile = name === profile && (section[1].startsWith("profile ") || profile === "default");
            continue;
        }
        const setting = /^\s*region\s*=\s*([^\s#;]*)/.exec(line);
        if (inProfile && setting) region = setting[1];
    }
    return region || undefined;
}

/**
 * The region the AWS provider finds without aws:region, in its order: AWS_REGION, AWS_DEFAULT_REGION,
 * then the profile (aws:profile, AWS_PROFILE or "default") in the shared config files
 * (aws:sharedConfigFiles, AWS_CONFIG_FILE or ~/.aws/config; a later file wins).
 */
export function environmentRegion(
    settings: Settings,
    env: NodeJS.ProcessEnv = process.env,
    read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): EnvironmentRegion | undefined {
    for (const variable of ["AWS_REGION", "AWS_DEFAULT_REGION"]) {
        const value = env[variable]?.trim();
        if (value) return { region: value, source: variable };
    }
    const profile = settings["aws:profile"]?.trim() || env.AWS_PROFILE?.trim() || "default";
    let files: string[];
    try {
        const listed = settings["aws:sharedConfigFiles"] ? JSON.parse(settings["aws:sharedConfigFiles"]) : undefined;
        files = Array.isArray(listed) ? listed.map(String) : [env.AWS_CONFIG_FILE || join(env.HOME || homedir(), ".aws", "config")];
    } catch {
        files = [];
    }
    let found: EnvironmentRegion | undefined;
    for (const file of files) {
        let text: string;
        try {
            text = read(file.replace(/^~(?=\/|$)/, env.HOME || homedir()));
        } catch {
            continue;
        }
        const region = profileRegion(text, profile);
        if (region) found = { region, source: `the region of AWS profile "${profile}" in ${file}` };
    }
    return found;
}

/** Why this region cannot be used, or undefined. */
export function regionProblem(region: string): string | undefined {
    if (REGIONS.includes(region)) return undefined;
    return `must be an AWS region the AWS provider knows, such as ap-northeast-2 or us-east-1${didYouMean(region, REGIONS)}`;
}

/** aws:region's row in the README's config table: it is the AWS provider's key, not a `lab:` one. */
export const REGION_DOC = {
    shownDefault: "your AWS profile's region, or `AWS_REGION`",
    allowed: "a region in the AWS provider's list (`ap-northeast-2`, `us-east-1`, ...)",
    meaning: "where the lab runs; when set it wins over `AWS_REGION`, `AWS_DEFAULT_REGION` and the profile (`AWS_PROFILE` or `default`)",
};
