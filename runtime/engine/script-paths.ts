// Where Node has no in-thread module hooks (before 22.15), the loader runs a script from a
// mirror: stripped copies of its files under a private temporary folder (loader/mirror.ts).
// Stacks and error messages then name the copies; this maps them back to the user's files,
// so every location Sluice reports is the script's own.

// A copy is <root>/g<generation><original path>.mjs, where <root> is registered here.
let pattern: RegExp | null = null;
const roots: string[] = [];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Registers the folder under which script copies live (one per thread that loads scripts). */
export function addMirrorRoot(root: string): void {
  roots.push(root);
  const alternatives = roots.map((r) => escape(r)).join('|');
  // Group 1: `file://` when the copy is named by URL; group 2: the original path (or URL path).
  pattern = new RegExp(`(file://)?(?:${alternatives})/g\\d+(/[^\\s'"():]*?)\\.mjs(?![\\w.])`, 'g');
}

/** `text` with every script copy named by its original file (a URL stays a URL). */
export function unmirror(text: string): string {
  if (pattern === null || text.length === 0) return text;
  return text.replace(pattern, (_m, scheme: string | undefined, original: string) => (scheme ?? '') + original);
}
