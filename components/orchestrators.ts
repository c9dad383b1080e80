// Every orchestrator a lab can run. Adding one is a folder under components/ and a line here; the
// compiler then lists whatever it has not implemented (components/orchestrator.ts).
import { kubernetes } from "./kubernetes";
import type { Orchestrator } from "./orchestrator";
import { swarm } from "./swarm";

export const ORCHESTRATORS = { swarm, kubernetes } satisfies Record<string, Orchestrator>;

export type OrchestratorName = keyof typeof ORCHESTRATORS;
export const ORCHESTRATOR_NAMES = Object.keys(ORCHESTRATORS) as OrchestratorName[];
