// The compose file Docker reads: every value written from the config stays a string for YAML 1.1
// readers (yes, on, 0x1F) and YAML 1.2 ones (1e3, 1_000) alike.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseLab } from "../../components/config";
import type { SwarmConfig } from "../../components/swarm/config";
import { swarmStackCompose } from "../../components/swarm/stack";
import { ENV, raw } from "../support/config";

/** Image names the reference grammar allows and a YAML reader could take for something else. */
const TRICKY_IMAGES = ["yes", "no", "on", "off", "y", "n", "true", "null", "1e3", "1_000", "0x1f", "0o17", "012", "1.5", "inf", "nan"];

describe("the sample stack's compose file", () => {
    it.each(TRICKY_IMAGES)("keeps the image %s a string for YAML 1.1 and 1.2 readers", (nginxImage) => {
        const config = parseLab(raw({ nginxImage }), ENV).config as SwarmConfig;
        const text = swarmStackCompose(config);
        for (const version of ["1.1", "1.2"] as const) {
            const compose = parse(text, { version });
            expect(compose.services.web.image, `YAML ${version}`).toBe(nginxImage);
            expect(compose.services["web-global"].image, `YAML ${version}`).toBe(nginxImage);
            expect(compose.version, `YAML ${version}`).toBe("3.8");
            expect(compose.services.web.deploy.replicas, `YAML ${version}`).toBe(3);
        }
    });
});
