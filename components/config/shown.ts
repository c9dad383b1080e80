// How an error quotes a config value: never a private key, never a screenful, never a character
// that rewrites the terminal or reorders the text around it.

/** Marks of a private key, with or without its PEM armour (the base64 body pasted alone). */
const PRIVATE_KEY_MARKS = [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
    /\bPRIVATE KEY\b/i,
    /PuTTY-User-Key-File-\d/,
    /b3BlbnNzaC1rZXktdjE/, // "openssh-key-v1", the OpenSSH private key format's magic
    /MII[A-Za-z0-9+/]{3}IBAAK[BC]|AgEAAoI[BC]/, // PKCS#1 RSAPrivateKey: version 0, then the modulus
    /IBADANBgkqhkiG9w0BAQEFAAS/, // PKCS#8 RSA
    /MC4CAQAwBQYDK2Vw/, // PKCS#8 Ed25519
    /MHcCAQEEI|MIGHAgEAMBMGByqGSM49/, // EC, SEC1 and PKCS#8
];

const LONGEST_SHOWN = 80;
/** C1 controls, zero-width and bidirectional marks, line and paragraph separators, BOM. */
const INVISIBLE = /[\u0080-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function looksLikePrivateKey(value: string): boolean {
    return PRIVATE_KEY_MARKS.some((mark) => mark.test(value));
}

const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
const quote = (text: string) => JSON.stringify(text).replace(INVISIBLE, escaped);

/** A value as an error may quote it. */
export function shown(value: string): string {
    if (looksLikePrivateKey(value)) return "a private key (not shown)";
    if (value.length > LONGEST_SHOWN) return `${quote(value.slice(0, LONGEST_SHOWN))}... (${value.length} characters)`;
    return quote(value);
}

/** A part of a value (an entry, a name) quoted inside an error's explanation, cut to `longest` characters. */
export function fragment(value: string, longest = 40): string {
    return value.length > longest ? `${quote(value.slice(0, longest))}...` : quote(value);
}

/** A whole error line made safe to print: control, bidirectional and zero-width characters escaped. */
export function printable(message: string): string {
    return message.replace(/[\u0000-\u001f\u007f]/g, escaped).replace(INVISIBLE, escaped);
}
