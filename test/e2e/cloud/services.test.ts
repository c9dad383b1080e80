// The IMDS and checkip stand-ins over loopback, pinned to the EC2 documentation:
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html (IMDSv2:
// PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds 1-21600, then GETs with
// X-aws-ec2-metadata-token; with httpTokens "required" a GET without a token is 401)
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-tags-in-IMDS.html (tags under
// /latest/meta-data/tags/instance only when instanceMetadataTags is "enabled")
import { AddressInfo } from "node:net";
import * as http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckipServer } from "./checkip";
import { createImdsServer, InstanceMetadata } from "./imds";

const instance: InstanceMetadata = {
    instanceId: "i-0abc",
    privateIp: "127.0.0.1",
    publicIp: "127.0.0.1",
    instanceType: "t3.small",
    amiId: "ami-1",
    hostname: "ip-127-0-0-1",
    tags: { ExpiresAt: "2026-11-23T20:00:00Z", Name: "dev-swarm-manager1" },
    metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", instanceMetadataTags: "enabled" },
};
let current: InstanceMetadata | undefined = instance;
const imds = createImdsServer(() => current);
const checkip = createCheckipServer();
const base = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
    await new Promise<void>((r) => imds.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => checkip.listen(0, "127.0.0.1", r));
});
afterAll(() => {
    imds.close();
    checkip.close();
});

async function token(ttl = "60"): Promise<Response> {
    return fetch(`${base(imds)}/latest/api/token`, { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": ttl } });
}

describe("IMDSv2", () => {
    it("serves the instance id and its tags with a session token", async () => {
        const t = await (await token()).text();
        const get = (p: string) => fetch(`${base(imds)}/latest/meta-data/${p}`, { headers: { "X-aws-ec2-metadata-token": t } });
        expect(await (await get("instance-id")).text()).toBe("i-0abc");
        expect(await (await get("tags/instance/ExpiresAt")).text()).toBe("2026-11-23T20:00:00Z");
        expect(await (await get("tags/instance")).text()).toBe("ExpiresAt\nName");
        expect((await get("tags/instance/Missing")).status).toBe(404);
    });

    it("refuses a GET without a token when tokens are required, and a token TTL outside 1-21600", async () => {
        expect((await fetch(`${base(imds)}/latest/meta-data/instance-id`)).status).toBe(401);
        expect(
            (await fetch(`${base(imds)}/latest/meta-data/instance-id`, { headers: { "X-aws-ec2-metadata-token": "forged" } })).status,
        ).toBe(401);
        expect((await token("0")).status).toBe(400);
        expect((await token("21601")).status).toBe(400);
        expect((await fetch(`${base(imds)}/latest/api/token`, { method: "PUT" })).status).toBe(400);
    });

    it("answers 404 for tags when instanceMetadataTags is not enabled, and serves the tags as they are now", async () => {
        const t = await (await token()).text();
        current = { ...instance, metadataOptions: { ...instance.metadataOptions, instanceMetadataTags: "disabled" } };
        expect(
            (await fetch(`${base(imds)}/latest/meta-data/tags/instance/ExpiresAt`, { headers: { "X-aws-ec2-metadata-token": t } })).status,
        ).toBe(404);
        current = { ...instance, tags: { ExpiresAt: "2026-11-24T08:00:00Z" } };
        expect(
            await (
                await fetch(`${base(imds)}/latest/meta-data/tags/instance/ExpiresAt`, { headers: { "X-aws-ec2-metadata-token": t } })
            ).text(),
        ).toBe("2026-11-24T08:00:00Z");
        current = instance;
    });

    it("accepts a GET without a token when IMDSv1 is allowed (httpTokens optional)", async () => {
        current = { ...instance, metadataOptions: { ...instance.metadataOptions, httpTokens: "optional" } };
        expect(await (await fetch(`${base(imds)}/latest/meta-data/instance-id`)).text()).toBe("i-0abc");
        current = instance;
    });

    it("answers no address that is not an instance", async () => {
        current = undefined;
        expect((await token()).status).toBe(403);
        current = instance;
    });
});

describe("checkip", () => {
    it("answers the caller's source address and a newline, as checkip.amazonaws.com does", async () => {
        expect(await (await fetch(`${base(checkip)}/`)).text()).toBe("127.0.0.1\n");
    });
});
