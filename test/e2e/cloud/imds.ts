// Stand-in for the EC2 instance metadata service (IMDSv2), one per cloud: the caller is the instance
// whose private address the request comes from. PUT /latest/api/token with
// X-aws-ec2-metadata-token-ttl-seconds (1-21600) returns a token bound to that instance; GETs carry it
// in X-aws-ec2-metadata-token. Without a token a GET is refused (401) when the instance has
// metadataOptions.httpTokens "required", as IMDSv1 is then off. Instance tags are served under
// /latest/meta-data/tags/instance only when metadataOptions.instanceMetadataTags is "enabled".
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-tags-in-IMDS.html
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import { sourceAddress } from "./checkip";

export interface InstanceMetadata {
    instanceId: string;
    privateIp: string;
    publicIp: string;
    instanceType: string;
    amiId: string;
    hostname: string;
    tags: Record<string, string>;
    metadataOptions: { httpTokens?: string; httpEndpoint?: string; instanceMetadataTags?: string };
}

export type InstanceLookup = (ip: string) => InstanceMetadata | undefined;

const MAX_TTL = 21600;

export function createImdsServer(lookup: InstanceLookup, now: () => number = Date.now): http.Server {
    const tokens = new Map<string, { instanceId: string; expires: number }>();
    return http.createServer((req, res) => {
        const send = (status: number, body = "") => {
            res.writeHead(status, { "content-type": "text/plain" });
            res.end(body);
        };
        const instance = lookup(sourceAddress(req.socket.remoteAddress));
        if (!instance || instance.metadataOptions.httpEndpoint === "disabled") return send(403, "Forbidden");
        const url = (req.url ?? "/").split("?")[0];
        if (url === "/latest/api/token") {
            if (req.method !== "PUT") return send(405, "Method Not Allowed");
            const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
            if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) return send(400, "Bad Request");
            const token = randomBytes(32).toString("base64url");
            tokens.set(token, { instanceId: instance.instanceId, expires: now() + ttl * 1000 });
            res.writeHead(200, { "content-type": "text/plain", "x-aws-ec2-metadata-token-ttl-seconds": String(ttl) });
            return res.end(token);
        }
        if (req.method !== "GET" && req.method !== "HEAD") return send(405, "Method Not Allowed");
        const header = req.headers["x-aws-ec2-metadata-token"];
        if (header !== undefined) {
            const known = tokens.get(String(header));
            if (!known || known.expires < now() || known.instanceId !== instance.instanceId) return send(401, "Unauthorized");
        } else if (instance.metadataOptions.httpTokens === "required") {
            return send(401, "Unauthorized");
        }
        const body = metadata(instance, url);
        return body === undefined ? send(404, "Not Found") : send(200, body);
    });
}

/** The text of one metadata path, or undefined (404). */
export function metadata(instance: InstanceMetadata, url: string): string | undefined {
    const tagsEnabled = instance.metadataOptions.instanceMetadataTags === "enabled";
    const paths: Record<string, string> = {
        "instance-id": instance.instanceId,
        "local-ipv4": instance.privateIp,
        "public-ipv4": instance.publicIp,
        "instance-type": instance.instanceType,
        "ami-id": instance.amiId,
        "local-hostname": instance.hostname,
        hostname: instance.hostname,
    };
    const path = url.replace(/^\/latest\/meta-data\/?/, "");
    if (path === url) return undefined;
    if (path === "") return [...Object.keys(paths), ...(tagsEnabled ? ["tags/"] : [])].join("\n");
    if (path in paths) return paths[path];
    if (!tagsEnabled) return undefined;
    if (path === "tags" || path === "tags/") return "instance";
    if (path === "tags/instance" || path === "tags/instance/") return Object.keys(instance.tags).join("\n");
    const key = /^tags\/instance\/(.+)$/.exec(path)?.[1];
    if (key === undefined) return undefined;
    const decoded = decodeURIComponent(key);
    return Object.prototype.hasOwnProperty.call(instance.tags, decoded) ? instance.tags[decoded] : undefined;
}
