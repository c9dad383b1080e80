// The local stand-in for the EC2 API: instances are Debian 12 QEMU VMs (vm/*.sh) on a bridge that is
// the program's subnet; key pairs, security groups (enforced, see network.ts) and published images
// live in the cloud's state file, so every process (the test, each engine run, the services daemon)
// sees the same cloud. Needs root.
//
// CLI (cleanup after an aborted run):  npx tsx test/e2e/cloud/vms.ts destroy-all|list|prepare
import { execFileSync, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { applyFirewall, hostCommand, outsideDown, outsideUp, OUTSIDE, PUBLIC_CIDR, removeFirewall, SERVICES, VM_ROUTES } from "./network";
import { architectureOf } from "../../../components/images";
import { IngressRule } from "./security-group";
import { CloudState, ImageRecord, InstanceRecord, pidAlive, readState, withLock, writeState } from "./state";

export interface RunInstanceSpec {
    ami: string;
    instanceType: string;
    keyName: string;
    subnetId: string;
    securityGroupIds: string[];
    /** The raw bytes cloud-init reads (the provider's user_data, or user_data_base64 decoded). */
    userData: Buffer;
    tags: Record<string, string>;
    metadataOptions: Record<string, string>;
    shutdownBehavior: string;
}

export type InstanceChanges = Partial<
    Pick<RunInstanceSpec, "instanceType" | "securityGroupIds" | "tags" | "metadataOptions" | "shutdownBehavior">
>;

/** "User data is limited to 16 KB, in raw form, before it is base64-encoded" (EC2 user guide, RunInstances). */
export const USER_DATA_LIMIT = 16_384;

/** The provider's two ways of giving user data (they conflict), as the raw bytes EC2 limits. */
export function userDataBytes(inputs: { userData?: string; userDataBase64?: string }): Buffer {
    if (inputs.userData !== undefined && inputs.userDataBase64 !== undefined)
        throw new Error('"user_data": conflicts with user_data_base64');
    return inputs.userDataBase64 !== undefined ? Buffer.from(inputs.userDataBase64, "base64") : Buffer.from(inputs.userData ?? "");
}

const FIRST_HOST = 11;
const LAST_HOST = 250;
/** The image every instance boots locally; `publishImage` adds newer names for the same disk. */
export const DEBIAN_OWNER = "136693071363";

/**
 * The local region's zones and the instance types each offers. A subnet made without a zone gets
 * local-1a, as AWS picks one, and local-1a offers no t3 type: a lab that does not choose its zone
 * from the offerings fails there, as it can on EC2.
 */
export const ZONE_OFFERINGS: Record<string, string[]> = {
    "local-1a": ["t2.micro", "t2.small"],
    "local-1b": ["t2.micro", "t2.small", "t3.micro", "t3.small", "t3.medium", "t3.large"],
};
export const DEFAULT_ZONE = "local-1a";

/** DescribeInstanceTypeOfferings by zone for some types, as getInstanceTypeOfferings returns it: parallel lists. */
export function typeOfferingsAnswer(offered: Record<string, string[]>, types: string[]): Record<string, string[]> {
    const pairs = Object.entries(offered).flatMap(([zone, inZone]) => inZone.filter((t) => types.includes(t)).map((t) => [zone, t]));
    return {
        locations: pairs.map(([zone]) => zone),
        instanceTypes: pairs.map(([, type]) => type),
        locationTypes: pairs.map(() => "availability-zone"),
    };
}

/** RunInstances refuses a type its subnet's zone does not offer, naming the zones that do. */
export function checkOffered(zone: string, instanceType: string): void {
    if (ZONE_OFFERINGS[zone]?.includes(instanceType)) return;
    const others = Object.keys(ZONE_OFFERINGS).filter((z) => ZONE_OFFERINGS[z].includes(instanceType));
    throw new Error(
        `Unsupported: Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${zone}). ` +
            `Please retry your request by not specifying an Availability Zone or choosing ${others.join(", ")}.`,
    );
}

/** RunInstances refuses an image of another architecture than the instance type's processor. */
export function checkArchitecture(instanceType: string, image: ImageRecord): void {
    const wanted = architectureOf(instanceType) === "arm64" ? "arm64" : "x86_64";
    if (image.architecture === wanted) return;
    throw new Error(
        `InvalidParameterValue: The architecture '${wanted}' of the specified instance type does not match the architecture ` +
            `'${image.architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, ` +
            "and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.",
    );
}

function defaultScriptsDir(): string {
    for (const dir of [process.env.E2E_VM_SCRIPTS, path.join(__dirname, "..", "vm"), path.resolve("test/e2e/vm")]) {
        if (dir && fs.existsSync(path.join(dir, "vm-start.sh"))) return dir;
    }
    throw new Error("local cloud: cannot find the vm/ scripts; set E2E_VM_SCRIPTS");
}

/** The host addresses of a /24 that no instance holds, lowest first. */
function freeHosts(cidr: string, held: (i: InstanceRecord) => string, st: CloudState): string[] {
    const prefix = cidr.replace(/\.0\/24$/, "");
    const used = new Set(Object.values(st.instances).map(held));
    const free = [];
    for (let h = FIRST_HOST; h <= LAST_HOST; h++) if (!used.has(`${prefix}.${h}`)) free.push(`${prefix}.${h}`);
    return free;
}

/** A free public address, drawn at random as EC2 does: nothing may rely on it matching the private one. */
function freePublicIp(st: CloudState): string {
    const free = freeHosts(PUBLIC_CIDR, (i) => i.publicIp, st);
    if (free.length === 0) throw new Error("AddressLimitExceeded: no public address left");
    return free[randomInt(free.length)];
}

/** Powered off: the private address and the disk stay, the public address goes back to the pool. */
function markStopped(record: InstanceRecord): void {
    record.pid = 0;
    record.state = "stopped";
    record.publicIp = "";
}

const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString("hex").slice(0, 17)}`;
const ipNum = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);

/** Locally administered MAC derived from the IP: 52:54:00:<last three octets>. */
export function macFor(ip: string): string {
    return [
        "52",
        "54",
        "00",
        ...ip
            .split(".")
            .map(Number)
            .slice(1)
            .map((x) => x.toString(16).padStart(2, "0")),
    ].join(":");
}

/** AWS filter values are globs: * any run, ? one character. */
export function globMatch(pattern: string, value: string): boolean {
    const re = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${re}$`).test(value);
}

const IMAGE_FIELDS: Record<string, keyof ImageRecord> = {
    name: "name",
    architecture: "architecture",
    "image-id": "id",
    "owner-id": "ownerId",
    "virtualization-type": "virtualizationType",
};

/** DescribeImages with filters and owners; mostRecent picks the newest creation date, as getAmi does. */
export function findImages(
    images: ImageRecord[],
    query: { owners?: string[]; filters?: { name: string; values: string[] }[] },
): ImageRecord[] {
    return images
        .filter(
            (image) =>
                (!query.owners?.length || query.owners.includes(image.ownerId)) &&
                (query.filters ?? []).every((f) => {
                    const field = IMAGE_FIELDS[f.name];
                    if (!field) throw new Error(`local cloud: unsupported image filter ${f.name}`);
                    return f.values.some((v) => globMatch(v, String(image[field])));
                }),
        )
        .sort((a, b) => b.creationDate.localeCompare(a.creationDate));
}

export class LocalCloud {
    readonly stateDir = path.resolve(process.env.E2E_STATE ?? "/run/cluster-lab-e2e");
    readonly cacheDir = path.resolve(process.env.E2E_CACHE ?? "/var/cache/cluster-lab-e2e");
    readonly scriptsDir = defaultScriptsDir();
    readonly bridge = process.env.E2E_BRIDGE ?? "clab0";
    readonly memoryMiB = Number(process.env.E2E_VM_MEMORY ?? 1024);

    private get file(): string {
        return path.join(this.stateDir, "cloud.json");
    }

    read(): CloudState {
        return readState(this.file);
    }

    private update<T>(fn: (st: CloudState) => T): T {
        return withLock(this.stateDir, () => {
            const st = this.read();
            const result = fn(st);
            writeState(this.file, st);
            return result;
        });
    }

    /** Builds (or reuses) the image, creates the outside addresses and starts checkip and the IMDS. */
    prepare(): void {
        const imageDir =
            this.script("build-image.sh", [], { timeoutMs: 30 * 60_000, inheritStderr: true })
                .trim()
                .split("\n")
                .pop() ?? "";
        if (!fs.existsSync(path.join(imageDir, "base.qcow2")))
            throw new Error(`local cloud: build-image.sh yielded no image (${imageDir})`);
        outsideUp(this.stateDir);
        this.update((st) => {
            st.imageDir = imageDir;
            if (st.images.length === 0) this.addImage(st, "debian-12-amd64-20250101-1", "2025-01-01T00:00:00.000Z");
        });
        this.startServices();
    }

    /** Every VM, the network, the outside addresses, the services; afterwards nothing of ours remains. */
    destroyAll(): void {
        withLock(this.stateDir, () => {
            const st = this.read();
            const names = new Set(Object.keys(st.instances));
            const vmsDir = path.join(this.stateDir, "vms");
            if (fs.existsSync(vmsDir))
                for (const e of fs.readdirSync(vmsDir, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
            for (const name of names) this.script("vm-stop.sh", [name]);
            this.script("net-down.sh", []);
            this.stopServices();
            outsideDown(this.stateDir);
            removeFirewall();
            fs.rmSync(path.join(this.stateDir, `net-${this.bridge}.lock`), { force: true });
            fs.rmSync(vmsDir, { recursive: true, force: true });
            fs.rmSync(this.file, { force: true });
        });
    }

    // ---- images -------------------------------------------------------------------------------

    private addImage(st: CloudState, name: string, creationDate: string): ImageRecord {
        const image = { id: newId("ami"), name, architecture: "x86_64", ownerId: DEBIAN_OWNER, creationDate, virtualizationType: "hvm" };
        st.images.push(image);
        return image;
    }

    /** A newer Debian image appears (the same disk locally), as Debian publishes one every few weeks. */
    publishImage(name: string): ImageRecord {
        return this.update((st) => this.addImage(st, name, new Date().toISOString()));
    }

    describeImages(query: Parameters<typeof findImages>[1]): ImageRecord[] {
        return findImages(this.read().images, query);
    }

    // ---- subnet, key pairs, security groups ------------------------------------------------------

    /** The subnet is the bridge: its .1 is the VPC router (the host), instances get addresses from it. */
    createSubnet(cidr: string, vpcId: string, zone = DEFAULT_ZONE): string {
        if (!/^(\d+\.\d+\.\d+)\.0\/24$/.test(cidr)) throw new Error(`local cloud: only /24 subnets, got ${cidr}`);
        if (!ZONE_OFFERINGS[zone])
            throw new Error(
                `InvalidParameterValue: Value (${zone}) for parameter availabilityZone is invalid. ` +
                    `Subnets can currently only be created in the following availability zones: ${Object.keys(ZONE_OFFERINGS).join(", ")}.`,
            );
        return this.update((st) => {
            const other = Object.values(st.subnets).find((s) => s.cidr !== cidr);
            if (other) throw new Error(`local cloud: one subnet at a time (${other.cidr} exists)`);
            const id = newId("subnet");
            st.subnets[id] = { id, cidr, vpcId, zone };
            this.script("net-up.sh", [], { env: { E2E_SUBNET: cidr } });
            this.applyFirewall(st);
            return id;
        });
    }

    subnetZone(id: string): string {
        const subnet = this.read().subnets[id];
        if (!subnet) throw new Error(`InvalidSubnetID.NotFound: ${id}`);
        return subnet.zone;
    }

    deleteSubnet(id: string): void {
        this.update((st) => {
            const users = Object.values(st.instances).filter((i) => i.subnetId === id);
            if (users.length > 0) throw new Error(`DependencyViolation: subnet ${id} has instances ${users.map((i) => i.id).join(", ")}`);
            delete st.subnets[id];
            if (Object.keys(st.subnets).length === 0) this.script("net-down.sh", []);
        });
    }

    importKeyPair(keyName: string, publicKey: string): void {
        this.update((st) => {
            st.keyPairs[keyName] = publicKey.trim();
        });
    }

    deleteKeyPair(keyName: string): void {
        this.update((st) => {
            delete st.keyPairs[keyName];
        });
    }

    putSecurityGroup(id: string | undefined, ingress: IngressRule[]): string {
        return this.update((st) => {
            const groupId = id ?? newId("sg");
            st.groups[groupId] = { id: groupId, ingress };
            this.applyFirewall(st);
            return groupId;
        });
    }

    deleteSecurityGroup(id: string): void {
        this.update((st) => {
            const users = Object.values(st.instances).filter((i) => i.securityGroupIds.includes(id));
            if (users.length > 0)
                throw new Error(`DependencyViolation: security group ${id} is used by ${users.map((i) => i.id).join(", ")}`);
            delete st.groups[id];
            this.applyFirewall(st);
        });
    }

    private applyFirewall(st: CloudState): void {
        const subnet = Object.values(st.subnets)[0];
        if (!subnet) return;
        const prefix = subnet.cidr.replace(/\.0\/24$/, "");
        applyFirewall({
            bridge: this.bridge,
            subnetCidr: subnet.cidr,
            routerIp: `${prefix}.1`,
            outside: Object.values(OUTSIDE).map((o) => ({ hostInterface: o.hostInterface, cidr: o.cidr })),
            imds: { ip: SERVICES.ip, port: SERVICES.imdsPort },
            groups: Object.values(st.groups),
            instances: Object.values(st.instances),
        });
    }

    // ---- instances ----------------------------------------------------------------------------

    /** RunInstances: "running" at once; SSH comes later, which the program's gate must wait for. */
    runInstance(spec: RunInstanceSpec): InstanceRecord {
        if (spec.userData.length > USER_DATA_LIMIT)
            throw new Error(`InvalidParameterValue: User data is limited to ${USER_DATA_LIMIT} bytes`);
        return this.update((st) => {
            const subnet = st.subnets[spec.subnetId];
            if (!subnet) throw new Error(`InvalidSubnetID.NotFound: ${spec.subnetId}`);
            checkOffered(subnet.zone, spec.instanceType);
            const image = st.images.find((i) => i.id === spec.ami);
            if (!image) throw new Error(`InvalidAMIID.NotFound: ${spec.ami}`);
            checkArchitecture(spec.instanceType, image);
            const publicKey = st.keyPairs[spec.keyName];
            if (!publicKey) throw new Error(`InvalidKeyPair.NotFound: ${spec.keyName}`);
            for (const g of spec.securityGroupIds) if (!st.groups[g]) throw new Error(`InvalidGroup.NotFound: ${g}`);
            const [ip] = freeHosts(subnet.cidr, (i) => i.ip, st);
            if (!ip) throw new Error(`InsufficientFreeAddressesInSubnet: ${subnet.cidr}`);
            const record: InstanceRecord = {
                id: newId("i"),
                ip,
                publicIp: freePublicIp(st),
                mac: macFor(ip),
                pid: 0,
                state: "running",
                ami: spec.ami,
                instanceType: spec.instanceType,
                keyName: spec.keyName,
                subnetId: spec.subnetId,
                securityGroupIds: spec.securityGroupIds,
                tags: spec.tags,
                metadataOptions: spec.metadataOptions,
                shutdownBehavior: spec.shutdownBehavior || "stop",
                launchedAt: new Date().toISOString(),
            };
            st.instances[record.id] = record;
            // The group admits the new member before it boots, as an ENI carries its groups from the start.
            this.applyFirewall(st);
            this.boot(st, record, spec.userData, publicKey);
            return record;
        });
    }

    private boot(st: CloudState, record: InstanceRecord, userData: Buffer, publicKey: string): void {
        const udFile = path.join(this.stateDir, `user-data.${record.id}.${process.pid}`);
        fs.writeFileSync(udFile, userData);
        try {
            this.script("vm-start.sh", [record.id, record.ip, record.mac, udFile, publicKey], {
                env: { E2E_IMAGE_DIR: st.imageDir ?? "", E2E_VM_INSTANCE_ID: record.id, E2E_SUBNET: st.subnets[record.subnetId].cidr },
                timeoutMs: 30 * 60_000,
            });
        } finally {
            fs.rmSync(udFile, { force: true });
        }
        record.pid = Number(fs.readFileSync(path.join(this.vmDir(record.id), "qemu.pid"), "utf8").trim());
        record.state = "running";
    }

    /** ModifyInstanceAttribute / CreateTags / ModifyInstanceMetadataOptions: in place; a new type restarts the VM. */
    modifyInstance(id: string, changes: InstanceChanges): InstanceRecord {
        return this.update((st) => {
            const record = st.instances[id];
            if (!record) throw new Error(`InvalidInstanceID.NotFound: ${id}`);
            if (changes.tags) record.tags = changes.tags;
            if (changes.metadataOptions) record.metadataOptions = changes.metadataOptions;
            if (changes.shutdownBehavior) record.shutdownBehavior = changes.shutdownBehavior;
            if (changes.securityGroupIds) {
                record.securityGroupIds = changes.securityGroupIds;
                this.applyFirewall(st);
            }
            if (changes.instanceType && changes.instanceType !== record.instanceType) {
                // EC2 needs the instance stopped to change its type: stop, modify, start; same disk, same address.
                this.script("vm-stop.sh", [id, "--hard"]);
                record.instanceType = changes.instanceType;
                this.boot(st, record, Buffer.alloc(0), st.keyPairs[record.keyName] ?? "unused");
            }
            return record;
        });
    }

    /** A hard power-off (a crash, or StopInstances --force): the disk and the address stay. */
    stopInstance(id: string): void {
        this.update((st) => {
            const record = st.instances[id];
            if (!record) throw new Error(`InvalidInstanceID.NotFound: ${id}`);
            this.script("vm-stop.sh", [id, "--hard"]);
            markStopped(record);
            this.applyFirewall(st);
        });
    }

    startInstance(id: string): void {
        this.update((st) => {
            const record = st.instances[id];
            if (!record) throw new Error(`InvalidInstanceID.NotFound: ${id}`);
            if (!record.publicIp) {
                record.publicIp = freePublicIp(st);
                this.applyFirewall(st);
            }
            if (record.state !== "running" || !this.isRunning(record))
                this.boot(st, record, Buffer.alloc(0), st.keyPairs[record.keyName] ?? "unused");
        });
    }

    /** TerminateInstances: the VM and its disk go; an instance already terminated is no error. */
    terminateInstance(id: string): void {
        this.update((st) => {
            this.script("vm-stop.sh", [id]);
            if (st.instances[id]) {
                delete st.instances[id];
                st.terminated.push(id);
                this.applyFirewall(st);
            }
        });
    }

    /** Notices guests that powered themselves off: terminated or stopped per their shutdown behavior. */
    refresh(): void {
        const st = this.read();
        const gone = Object.values(st.instances).filter((i) => i.state === "running" && !this.isRunning(i));
        if (gone.length === 0) return;
        this.update((fresh) => {
            for (const { id } of gone) {
                const record = fresh.instances[id];
                if (!record || record.state !== "running" || this.isRunning(record)) continue;
                if (record.shutdownBehavior === "terminate") {
                    this.script("vm-stop.sh", [id]);
                    delete fresh.instances[id];
                    fresh.terminated.push(id);
                } else {
                    markStopped(record);
                }
            }
            this.applyFirewall(fresh);
        });
    }

    instances(): InstanceRecord[] {
        return Object.values(this.read().instances).sort((a, b) => ipNum(a.ip) - ipNum(b.ip));
    }

    instance(id: string): InstanceRecord | undefined {
        return this.read().instances[id];
    }

    isRunning(record: InstanceRecord): boolean {
        if (!pidAlive(record.pid)) return false;
        try {
            return fs.readFileSync(`/proc/${record.pid}/cmdline`, "utf8").includes(`${this.vmDir(record.id)}/`);
        } catch {
            return false;
        }
    }

    vmDir(id: string): string {
        return path.join(this.stateDir, "vms", id);
    }

    consoleLog(id: string): string {
        try {
            return fs.readFileSync(path.join(this.vmDir(id), "console.log"), "utf8");
        } catch {
            return "";
        }
    }

    // ---- the services daemon (checkip, IMDS, guest power-off watch) ----------------------------

    private get servicesPidFile(): string {
        return path.join(this.stateDir, "services.pid");
    }

    private startServices(): void {
        this.stopServices();
        const log = fs.openSync(path.join(this.stateDir, "services.log"), "a");
        const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "services.ts")], {
            detached: true,
            stdio: ["ignore", log, log],
            env: { ...process.env, E2E_STATE: this.stateDir },
        });
        fs.writeFileSync(this.servicesPidFile, String(child.pid));
        child.unref();
        fs.closeSync(log);
        const deadline = Date.now() + 30_000;
        while (!fs.existsSync(path.join(this.stateDir, "services.ready"))) {
            if (Date.now() > deadline || !pidAlive(child.pid ?? 0)) {
                throw new Error(
                    `local cloud: services did not start: ${fs.readFileSync(path.join(this.stateDir, "services.log"), "utf8").slice(-2000)}`,
                );
            }
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
    }

    private stopServices(): void {
        fs.rmSync(path.join(this.stateDir, "services.ready"), { force: true });
        if (!fs.existsSync(this.servicesPidFile)) return;
        const pid = Number(fs.readFileSync(this.servicesPidFile, "utf8"));
        try {
            if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("services.ts")) process.kill(pid, "SIGTERM");
        } catch {
            /* already gone */
        }
        fs.rmSync(this.servicesPidFile, { force: true });
    }

    // ---------------------------------------------------------------------------------------------

    script(file: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; inheritStderr?: boolean } = {}): string {
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            E2E_STATE: this.stateDir,
            E2E_CACHE: this.cacheDir,
            E2E_BRIDGE: this.bridge,
            E2E_VM_MEMORY: String(this.memoryMiB),
            E2E_VM_ROUTES: VM_ROUTES.join(" "),
            E2E_SUBNET: Object.values(this.read().subnets)[0]?.cidr ?? process.env.E2E_SUBNET ?? "10.42.1.0/24",
            ...o.env,
        };
        const [cmd, argv] = hostCommand(path.join(this.scriptsDir, file), args);
        try {
            return execFileSync(cmd, argv, {
                env,
                encoding: "utf8",
                timeout: o.timeoutMs ?? 120_000,
                maxBuffer: 64 * 1024 * 1024,
                stdio: ["ignore", "pipe", o.inheritStderr ? "inherit" : "pipe"],
            });
        } catch (err) {
            const e = err as { status?: number; stderr?: string | Buffer; message: string };
            throw new Error(
                `local cloud: ${file} ${args.join(" ")} failed (exit ${e.status ?? "?"}): ${e.stderr ? String(e.stderr).trim() : e.message}`,
            );
        }
    }
}

if (process.argv[1] && /cloud\/vms\.[cm]?[tj]s$/.test(process.argv[1])) {
    const cloud = new LocalCloud();
    const cmd = process.argv[2];
    if (cmd === "destroy-all") cloud.destroyAll();
    else if (cmd === "list") console.log(JSON.stringify(cloud.instances(), null, 2));
    else if (cmd === "prepare") cloud.prepare();
    else {
        console.error("usage: vms.ts destroy-all|list|prepare");
        process.exitCode = 2;
    }
}
