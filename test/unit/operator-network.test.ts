// What the program asks of the operator's own network, run for real against loopback servers.
import { createServer, Server } from "node:http";
import { AddressInfo, createServer as createTcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupPublicAddress, waitForPort } from "../../components/operator-network";

describe("operator network", () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
        // Like checkip.amazonaws.com: the caller's address and a newline.
        server = createServer((req, res) => res.end(`${req.socket.remoteAddress?.replace(/^::ffff:/, "")}\n`));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => server.close());

    it("looks up this machine's address at CLUSTER_LAB_CHECKIP_URL", async () => {
        const before = process.env.CLUSTER_LAB_CHECKIP_URL;
        process.env.CLUSTER_LAB_CHECKIP_URL = url;
        try {
            expect(await lookupPublicAddress()).toBe("127.0.0.1");
        } finally {
            if (before === undefined) delete process.env.CLUSTER_LAB_CHECKIP_URL;
            else process.env.CLUSTER_LAB_CHECKIP_URL = before;
        }
    });

    it("waits for a port that opens late, and gives up on one that never does", async () => {
        const probe = createTcpServer();
        await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
        const port = (probe.address() as AddressInfo).port;
        await new Promise((resolve) => probe.close(resolve));

        const late = createTcpServer((socket) => socket.destroy());
        setTimeout(() => late.listen(port, "127.0.0.1"), 1500);
        await expect(waitForPort("127.0.0.1", port, 20_000)).resolves.toBeUndefined();
        await new Promise((resolve) => late.close(resolve));

        await expect(waitForPort("127.0.0.1", port, 1500)).rejects.toThrow(`127.0.0.1:${port} did not accept a connection within 2s`);
    });
});
