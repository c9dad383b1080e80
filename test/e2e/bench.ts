// Benchmark: forms a 3-node (1 manager + 2 workers) and a 5-node (3 managers + 2 workers) lab on
// local VMs and prints, for each, the number of sequential command stages on the critical path, how
// the joins overlapped, and the wall time to a converged stack. The design wants the same number of
// stages for both (joins run concurrently). Needs root.
// Usage: npm run bench:e2e   (E2E_BENCH_LABS="1+2,3+2" by default, managers+workers)
import { cpus } from "node:os";
import { LocalLab } from "./local-lab";
import { criticalPath, joinOverlap, RunResult } from "./timeline";

interface Row {
    nodes: number;
    stages: number;
    path: string;
    joins: number;
    allAtOnce: number;
    parallelism: number;
    readySeconds: number;
    bootToSsh: number;
}

function row(nodes: number, result: RunResult): Row {
    const path = criticalPath(result);
    const overlap = joinOverlap(result);
    const deploy = result.commands.find((c) => c.step === "deploy");
    const gates = result.commands.filter((c) => c.step === "gate");
    const bootToSsh = Math.max(...gates.map((g) => g.dialed - (result.instancesCreated[g.node] ?? 0)));
    return {
        nodes,
        stages: path.length,
        path: path.map((c) => c.step).join(" -> "),
        joins: overlap.count,
        allAtOnce: overlap.allAtOnceSeconds,
        parallelism: overlap.parallelism,
        readySeconds: Number(((deploy?.end ?? NaN) / 1000).toFixed(1)),
        bootToSsh: Number((bootToSsh / 1000).toFixed(1)),
    };
}

async function main(): Promise<void> {
    const labs = (process.env.E2E_BENCH_LABS ?? "1+2,3+2").split(",").map((lab) => lab.split("+").map(Number));
    const lab = new LocalLab();
    const rows: Row[] = [];
    try {
        for (const [managers, workers] of labs) {
            lab.prepare();
            const title = `bench ${managers}+${workers}`;
            const result = await lab.up(
                { managers: String(managers), workers: String(workers), nginxImage: "cluster-lab/nginx:1" },
                { title },
            );
            if (!result.ok) throw new Error(`${title} failed: ${result.error}`);
            rows.push(row(managers + workers, result));
            await lab.destroy();
        }
    } finally {
        lab.cloud.destroyAll();
    }
    console.log("\nnodes | stages on critical path | joins | all joins running at once | join parallelism | slowest boot->SSH | ready at");
    for (const r of rows) {
        console.log(
            `${r.nodes} | ${r.stages} (${r.path}) | ${r.joins} | ${r.allAtOnce}s | ${r.parallelism} | ${r.bootToSsh}s | ${r.readySeconds}s`,
        );
    }
    console.log(
        `(${process.env.E2E_ACCEL === "kvm" ? "KVM" : "TCG emulation"}: every VM shares the host's ${cpus().length} cores, so wall times grow with node count here; on EC2 each node has its own CPUs)`,
    );
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
