// Benchmark: forms a 3-node and a 5-node lab on local VMs and prints, for each, the number of
// sequential command stages on the critical path, how the joins overlapped, and the wall time to a
// converged stack. The design wants the same number of stages for both (joins run concurrently).
// Needs root. Usage: npm run bench:e2e   (E2E_BENCH_SIZES=3,5 by default)
import { cpus } from "node:os";
import { LocalEngine } from "./engine";
import { criticalPath, joinOverlap, RunResult } from "./timeline";

interface Row { nodes: number; stages: number; path: string; joins: number; allAtOnce: number; parallelism: number; readySeconds: number; bootToSsh: number }

function row(nodes: number, result: RunResult): Row {
    const path = criticalPath(result);
    const overlap = joinOverlap(result);
    const deploy = result.commands.find((c) => c.step === "deploy");
    const gates = result.commands.filter((c) => c.step === "gate");
    const bootToSsh = Math.max(...gates.map((g) => g.dialed - (result.instancesCreated[g.node] ?? 0)));
    return {
        nodes, stages: path.length, path: path.map((c) => c.step).join(" -> "),
        joins: overlap.count, allAtOnce: overlap.allAtOnceSeconds, parallelism: overlap.parallelism,
        readySeconds: Number(((deploy?.end ?? NaN) / 1000).toFixed(1)), bootToSsh: Number((bootToSsh / 1000).toFixed(1)),
    };
}

async function main(): Promise<void> {
    const sizes = (process.env.E2E_BENCH_SIZES ?? "3,5").split(",").map(Number);
    const engine = new LocalEngine();
    const rows: Row[] = [];
    try {
        for (const size of sizes) {
            engine.prepare();
            const result = await engine.up({ managers: "1", workers: String(size - 1), nginxImage: "cluster-lab/nginx:1" }, `bench ${size} nodes`);
            if (!result.ok) throw new Error(`${size}-node lab failed: ${result.error}`);
            rows.push(row(size, result));
            await engine.destroy();
        }
    } finally {
        engine.cloud.destroyAll();
    }
    console.log("\nnodes | stages on critical path | joins | all joins running at once | join parallelism | slowest boot->SSH | ready at");
    for (const r of rows) {
        console.log(`${r.nodes} | ${r.stages} (${r.path}) | ${r.joins} | ${r.allAtOnce}s | ${r.parallelism} | ${r.bootToSsh}s | ${r.readySeconds}s`);
    }
    console.log(`(${process.env.E2E_ACCEL === "kvm" ? "KVM" : "TCG emulation"}: every VM shares the host's ${cpus().length} cores, so wall times grow with node count here; on EC2 each node has its own CPUs)`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
