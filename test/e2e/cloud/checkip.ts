// Stand-in for https://checkip.amazonaws.com: answers the caller's source address and a newline.
import * as http from "node:http";

export function sourceAddress(socketAddress: string | undefined): string {
    return (socketAddress ?? "").replace(/^::ffff:/, "");
}

export function createCheckipServer(): http.Server {
    return http.createServer((req, res) => {
        res.writeHead(200, { "content-type": "text/plain;charset=UTF-8" });
        res.end(`${sourceAddress(req.socket.remoteAddress)}\n`);
    });
}
