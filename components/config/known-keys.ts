// Misspelt keys: every `lab:` key the stack sets must be one the lab reads, every `aws:` key one the
// AWS provider reads; otherwise one error naming the nearest known key. Values are never quoted
// here: an unknown key may hold a secret.
import * as awsProviderConfig from "@pulumi/aws/config/vars";
import { Problems, Settings, shown } from "./keys";
import { nearest } from "./suggest";

/** The AWS provider's config keys: the names its config module exports. */
export const AWS_CONFIG_KEYS: readonly string[] = Object.keys(awsProviderConfig);

/** Reports each key of these namespaces that is not known; `known` lists each namespace's keys. */
export function unknownKeyProblems(settings: Settings, known: Record<"lab" | "aws", readonly string[]>, problems: Problems): void {
    for (const full of Object.keys(settings)) {
        const colon = full.indexOf(":");
        const namespace = full.slice(0, colon);
        const key = full.slice(colon + 1);
        if (namespace !== "lab" && namespace !== "aws") continue;
        if (known[namespace].includes(key)) continue;
        const near = nearest(key, known[namespace]);
        const owner = namespace === "lab" ? "a key this lab reads" : "a config key of the AWS provider";
        const name = /^[\w.:-]{1,100}$/.test(full) ? full : shown(full);
        const remove = `(pulumi config rm ${name})`;
        if (near !== undefined) {
            problems.add(`${name} is not ${owner}: did you mean ${namespace}:${near}? ${remove}`, full);
        } else {
            const keys = namespace === "lab" ? `the lab's keys are ${known.lab.join(", ")}` : "see the AWS provider's configuration keys";
            problems.add(`${name} is not ${owner}, and no known key is close to it: ${keys}; remove it ${remove}`, full);
        }
    }
}
