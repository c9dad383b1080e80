import { defineConfig } from "vitest/config";

// The local-VM end-to-end test (one file, in order, with generous time: VMs under emulation),
// after the stand-ins' own tests (engine rules, security group, IMDS, checkip, fake pulumi).
export default defineConfig({
    test: {
        include: ["test/e2e/**/*.test.ts"],
        testTimeout: 30 * 60_000,
        hookTimeout: 30 * 60_000,
        fileParallelism: false,
        sequence: { concurrent: false },
    },
});
