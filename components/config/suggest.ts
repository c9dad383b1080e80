// "Did you mean ...?" for misspelt keys and values: the nearest candidate by edit distance, ignoring case.

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
export function editDistance(a: string, b: string): number {
    const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) rows[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
        }
    }
    return rows[a.length][b.length];
}

/** Longer than this, a value is nobody's typo of a short name: no suggestion, no quadratic work. */
const LONGEST_COMPARED = 64;

/**
 * The candidate closest to `word` ignoring case, if it is close enough to be a typo: at most a
 * third of the candidate's length in edits (and at least one edit allowed).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
    if (word.length > LONGEST_COMPARED) return undefined;
    const lower = word.toLowerCase();
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(lower, candidate.toLowerCase());
        const allowed = Math.max(1, Math.floor(candidate.length / 3));
        if (distance <= allowed && (!best || distance < best.distance)) best = { candidate, distance };
    }
    return best?.candidate;
}

/** " (did you mean X?)" or "", to end a message with. */
export function didYouMean(word: string, candidates: Iterable<string>, render: (c: string) => string = (c) => c): string {
    const found = nearest(word, candidates);
    return found === undefined ? "" : ` (did you mean ${render(found)}?)`;
}
