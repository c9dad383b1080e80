// Runs a program the way `pulumi up` does, through the SDK's own entry point (cmd/run, as the
// nodejs language host starts it), against a minimal engine and resource monitor that record what
// the program logs: what the CLI would print, and the exit code the language host reads.
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import * as engineService from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as monitorService from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { root } from "./workflows";

/** The engine's log severities (pulumirpc.LogSeverity). */
export const SEVERITY = { debug: 0, info: 1, warning: 2, error: 3 } as const;

export interface EngineRun {
    exitCode: number | null;
    logs: { severity: number; message: string }[];
    /** The program's own stdout and stderr. */
    output: string;
}

type Handler = (call: { request: any }, callback: (err: null, response: unknown) => void) => void;

/** Runs `program` (a directory or file) with these config values ("lab:workers": "3"). */
export async function runUnderEngine(program: string, config: Record<string, string>): Promise<EngineRun> {
    const logs: EngineRun["logs"] = [];
    let rootUrn = "";
    const server = new grpc.Server();
    const monitor: Record<string, Handler> = {
        supportsFeature: (_, done) => done(null, new resourcePb.SupportsFeatureResponse().setHassupport(false)),
        registerResource: ({ request }, done) =>
            done(
                null,
                new resourcePb.RegisterResourceResponse().setUrn(`urn:pulumi:dev::cluster-lab::${request.getType()}::${request.getName()}`),
            ),
        registerResourceOutputs: (_, done) => done(null, new Empty()),
        signalAndWaitForShutdown: (_, done) => done(null, new Empty()),
    };
    const engine: Record<string, Handler> = {
        log: ({ request }, done) => {
            logs.push({ severity: request.getSeverity(), message: request.getMessage() });
            done(null, new Empty());
        },
        getRootResource: (_, done) => done(null, new enginePb.GetRootResourceResponse().setUrn(rootUrn)),
        setRootResource: ({ request }, done) => {
            rootUrn = request.getUrn();
            done(null, new enginePb.SetRootResourceResponse());
        },
    };
    server.addService(monitorService.ResourceMonitorService as any, monitor as any);
    server.addService(engineService.EngineService as any, engine as any);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    try {
        const address = `127.0.0.1:${port}`;
        const child = spawn(
            process.execPath,
            [
                "--require",
                require.resolve("tsx/cjs"),
                require.resolve("@pulumi/pulumi/cmd/run"),
                `--monitor=${address}`,
                `--engine=${address}`,
                "--project=cluster-lab",
                "--stack=dev",
                program,
            ],
            {
                cwd: root,
                env: { PATH: process.env.PATH, HOME: process.env.HOME, PULUMI_CONFIG: JSON.stringify(config) },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        const exitCode = await new Promise<number | null>((resolve) => child.on("exit", resolve));
        return { exitCode, logs, output };
    } finally {
        server.forceShutdown();
    }
}
