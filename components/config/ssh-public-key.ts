// lab:sshPublicKey: one OpenSSH public key line of a type EC2 imports (ssh-ed25519, ssh-rsa),
// decoded and checked, so that a truncated or mangled key fails here and not at ImportKeyPair.
import { fragment, looksLikePrivateKey } from "./shown";

/** RSA moduli EC2 imports and today's OpenSSH servers accept; below 2048 bits a key is too weak for a lab on the internet. */
export const RSA_BITS = { min: 2048, max: 8192 } as const;
const ED25519_BYTES = 32;
const LONGEST_LINE = 16 * 1024;

export const KEY_EXAMPLE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... you@laptop (the one line of your .pub file)";

/** Reads SSH wire-format strings (uint32 length, then bytes) from a decoded key blob. */
class Wire {
    private at = 0;
    constructor(private readonly bytes: Buffer) {}

    string(): Buffer | undefined {
        if (this.at + 4 > this.bytes.length) return undefined;
        const length = this.bytes.readUInt32BE(this.at);
        if (this.at + 4 + length > this.bytes.length) return undefined;
        const value = this.bytes.subarray(this.at + 4, this.at + 4 + length);
        this.at += 4 + length;
        return value;
    }

    get done(): boolean {
        return this.at === this.bytes.length;
    }
}

/** Bits of a positive SSH mpint (big-endian, a leading zero byte when the top bit is set). */
function mpintBits(value: Buffer): number {
    const first = value.findIndex((b) => b !== 0);
    if (first === -1 || value[0] & 0x80) return 0;
    const digits = value.subarray(first);
    return (digits.length - 1) * 8 + digits[0].toString(2).length;
}

function blobProblem(type: string, blob: Buffer): string | undefined {
    const truncated =
        "must be a whole key, and this one is cut short or corrupted: its key data does not decode to a key (copy the whole line of the .pub file)";
    const wire = new Wire(blob);
    const embedded = wire.string()?.toString("latin1");
    if (embedded === undefined) return truncated;
    if (embedded !== type)
        return `must be one key, and this one says ${type} but its key data is a ${fragment(embedded)} key: the line was edited or assembled from two keys`;
    if (type === "ssh-ed25519") {
        const key = wire.string();
        if (key === undefined || !wire.done) return truncated;
        return key.length === ED25519_BYTES
            ? undefined
            : `must hold an Ed25519 key of ${ED25519_BYTES} bytes, and this one has ${key.length}`;
    }
    const exponent = wire.string();
    const modulus = wire.string();
    if (exponent === undefined || modulus === undefined || !wire.done) return truncated;
    const bits = mpintBits(modulus);
    if (mpintBits(exponent) < 2 || (exponent[exponent.length - 1] & 1) === 0)
        return "must have an RSA exponent that is an odd number above 1: this is not a usable key";
    if (bits < RSA_BITS.min || bits > RSA_BITS.max) {
        return (
            `must be an RSA key of ${RSA_BITS.min} to ${RSA_BITS.max} bits (below ${RSA_BITS.min} is too weak), and this one has ${bits}: ` +
            "ssh-keygen -t ed25519 makes a better key"
        );
    }
    return undefined;
}

/** Why this is not an importable public key line, or undefined. */
export function sshPublicKeyProblem(text: string): string | undefined {
    const what = `must be one OpenSSH public key line, ssh-ed25519 or ssh-rsa, such as ${KEY_EXAMPLE}`;
    if (looksLikePrivateKey(text)) {
        return (
            "must be the public half of your key (the .pub file; ssh-keygen -y -f <private key> prints it), and this is a private key: " +
            "never put one in the stack's configuration"
        );
    }
    if (text.length > LONGEST_LINE) return `${what}; this is ${text.length} characters long`;
    if (/[\r\n]/.test(text)) return `${what}; this has several lines`;
    const [type, data, ...comment] = text.split(/[ \t]+/);
    if (/^(ecdsa-sha2-|sk-|ssh-dss|ssh-ed448)/.test(type)) {
        return `must be an ssh-ed25519 or ssh-rsa key, the types EC2 imports; ${fragment(type)} is not one (ssh-keygen -t ed25519 makes one)`;
    }
    if (type !== "ssh-ed25519" && type !== "ssh-rsa") {
        return /^(ssh-|ecdsa-|sk-)/.test(type)
            ? `${what}; ${fragment(type)} is not a type EC2 imports`
            : `${what}, starting with its type (no authorized_keys options)`;
    }
    if (data === undefined || data === "") return `${what}; this has no key data after ${type}`;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0)
        return `${what}; its key data is not base64 (cut short, or characters lost in copying)`;
    if (comment.some((word) => /[\x00-\x1f\x7f]/.test(word))) return `${what}; its comment has control characters`;
    return blobProblem(type, Buffer.from(data, "base64"));
}
