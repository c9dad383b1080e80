// The local cloud's long-lived services, one daemon per cloud (started by LocalCloud.prepare):
// checkip for the outside addresses, the IMDS backend for the VMs, and a watch that notices guests
// that powered themselves off (EC2 then stops or terminates the instance).
import * as fs from "node:fs";
import * as path from "node:path";
import { createCheckipServer } from "./checkip";
import { createImdsServer } from "./imds";
import { SERVICES } from "./network";
import { LocalCloud } from "./vms";

const cloud = new LocalCloud();

const imds = createImdsServer((ip) => {
    const record = Object.values(cloud.read().instances).find((i) => i.ip === ip && i.state === "running");
    if (!record) return undefined;
    return {
        instanceId: record.id,
        privateIp: record.ip,
        publicIp: record.publicIp,
        instanceType: record.instanceType,
        amiId: record.ami,
        hostname: `ip-${record.ip.replace(/\./g, "-")}`,
        tags: record.tags,
        metadataOptions: record.metadataOptions,
    };
});

let listening = 0;
const ready = () => {
    if (++listening === 2) fs.writeFileSync(path.join(cloud.stateDir, "services.ready"), String(process.pid));
};
createCheckipServer().listen(SERVICES.checkipPort, SERVICES.ip, ready);
imds.listen(SERVICES.imdsPort, SERVICES.ip, ready);

setInterval(() => {
    try {
        cloud.refresh();
    } catch (err) {
        console.error(`refresh: ${(err as Error).message}`);
    }
}, 2000);

process.on("SIGTERM", () => process.exit(0));
