import { fragment } from "./shown";

// Docker image references, by the grammar Docker itself parses them with (distribution/reference,
// ParseNormalizedNamed): [domain[:port]/]path[:tag][@digest].

/** Longer than any valid reference (a 255-character name, a domain, a tag and a sha512 digest): refused before any parsing. */
export const LONGEST_REFERENCE = 1024;
/** distribution/reference's RepositoryNameTotalLengthMax, for the path after the domain. */
export const LONGEST_NAME = 255;

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|-+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const PATH = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** The digests Docker verifies, with their hex lengths (opencontainers/go-digest). */
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export const IMAGE_EXAMPLES = "nginx:1.27, nginx:1.27@sha256:<64 hex>, registry.example.com:5000/team/nginx:1.27";

/**
 * Why Docker would refuse this reference, or undefined. The first path element is a registry when
 * it has a dot or a colon, is "localhost", or has capitals (Docker's own rule); a name without one
 * is Docker Hub's, and its path counts "library/" when it has a single part.
 */
export function imageReferenceProblem(text: string): string | undefined {
    if (text.length > LONGEST_REFERENCE)
        return `must be an image reference of at most ${LONGEST_REFERENCE} characters; this is ${text.length}`;
    if (/^[a-f0-9]{64}$/.test(text))
        return "must be an image name, not a 64-hex image ID (Docker refuses one as a name): nginx:1.27, or nginx@sha256:<id>";
    const slash = text.indexOf("/");
    const first = slash === -1 ? "" : text.slice(0, slash);
    const hasDomain = slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
    const remainder = hasDomain ? text.slice(slash + 1) : text;
    const name = remainder.split(/[:@]/)[0];
    if (name !== name.toLowerCase())
        return `must have a lowercase repository name, and ${fragment(name, 60)} has capitals (a tag may have them)`;
    // Docker Hub's official images live under library/: "nginx" is docker.io/library/nginx.
    const match = REFERENCE.exec(hasDomain ? text : `docker.io/${name.includes("/") ? "" : "library/"}${text}`);
    if (!match) {
        return (
            "must be an image reference [registry[:port]/]name[:tag][@digest]: name parts of lowercase letters and digits " +
            `joined by . _ __ or -, a tag of up to 128 letters, digits, _ . -, such as ${IMAGE_EXAMPLES}`
        );
    }
    const [, , path, , digest] = match;
    if (path.length > LONGEST_NAME) return `must have a repository name of at most ${LONGEST_NAME} characters; this one has ${path.length}`;
    if (digest) {
        const [algorithm, hex] = digest.split(":");
        if (DIGEST_HEX[algorithm] === undefined)
            return `must have a sha256, sha384 or sha512 digest (what Docker verifies), not ${fragment(algorithm, 20)}`;
        if (hex.length !== DIGEST_HEX[algorithm] || hex !== hex.toLowerCase()) {
            return `must have a ${algorithm} digest of ${DIGEST_HEX[algorithm]} lowercase hex digits`;
        }
    }
    return undefined;
}
