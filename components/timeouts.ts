// Every wait and retry of the lab in one table. Node scripts receive theirs as variables.

/** SSH dials of the provider (pulumi-command): attempts and seconds per attempt. */
export const DIALS = {
    /** Every command but the gate: the node already answered once. */
    command: 10,
    /** The gate dials only once port 22 answers, so a few attempts cover sshd's last second of boot. */
    gate: 20,
    perDialSeconds: 15,
};

/** How long a new instance may take to answer on port 22 (EC2 boots to sshd in about a minute). */
export const SSH_PORT_TIMEOUT_MS = 8 * 60_000;

/** Seconds (or attempts) the node scripts wait, by variable name. */
export const NODE_WAITS = {
    /** The gate: cloud-init's first-boot install, then the engine answering. */
    READY_TIMEOUT: 900,
    /** A dpkg lock held by another apt (unattended-upgrades at first boot). */
    APT_LOCK_TIMEOUT: 600,
    /** Tries of each apt step against a failing mirror. */
    APT_ATTEMPTS: 5,
    /** A joining node seen Ready by the first manager or control plane. */
    NODE_READY_TIMEOUT: 600,
    /** Joins refused while another manager joins. */
    JOIN_ATTEMPTS: 5,
    /** A join the daemon stopped waiting for, going on in the background. */
    JOIN_PENDING_TIMEOUT: 300,
    /** The sample app rolled out and every node Ready (seconds on EC2; 9 minutes measured on emulated nodes). */
    CONVERGE_TIMEOUT: 900,
    /** A leaving node's tasks or pods running elsewhere (seconds on EC2; 3 minutes measured for five tasks starting on one emulated node). */
    DRAIN_TIMEOUT: 300,
    /** A demoted manager gone from Raft. */
    DEMOTE_TIMEOUT: 120,
} as const;

export type NodeWait = keyof typeof NODE_WAITS;

/** The named waits, as variables for a script. */
export function waits(...names: NodeWait[]): Record<NodeWait, number> {
    return Object.fromEntries(names.map((name) => [name, NODE_WAITS[name]])) as Record<NodeWait, number>;
}
