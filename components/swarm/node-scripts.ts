import { scriptIn } from "../remote";

const at = (name: string) => scriptIn(`${__dirname}/scripts`, name);

/** The Swarm lab's node scripts. */
export const SWARM_SCRIPTS = {
    installDocker: at("install-docker.sh"),
    init: at("swarm-init.sh"),
    join: at("swarm-join.sh"),
    nodeReady: at("swarm-node-ready.sh"),
    removeNode: at("swarm-remove-node.sh"),
    deployStack: at("deploy-stack.sh"),
};
