/**
 * The lab environment file as a test or the bench wants it: hosts/lab.yaml has a monitoring
 * tier (issue 18), which only the rehearsal needs; the others leave it out (one host less to
 * boot and install, and the bench's target counts stay those of the four service tiers).
 * Cut as text, not re-serialized: every other line stays as written, so tests that edit the
 * copy by text, or expect file:line:col in it, see hosts/lab.yaml's own lines.
 */

/** the lines of the block a `key:` line at `indent` opens (with the comments just above it) */
function cut(lines: string[], indent: number, key: string): string[] {
  const start = lines.findIndex((l) => l === `${" ".repeat(indent)}${key}:` || l.startsWith(`${" ".repeat(indent)}${key}: `));
  if (start < 0) return lines;
  let end = start + 1;
  const inside = (l: string) => l.trim() === "" || l.startsWith(" ".repeat(indent + 1)) || (l.trimStart().startsWith("#") && l.length - l.trimStart().length > indent);
  while (end < lines.length && inside(lines[end])) end++;
  // trailing blank lines belong to what follows
  while (end > start + 1 && lines[end - 1].trim() === "") end--;
  let first = start;
  while (first > 0 && lines[first - 1].trimStart().startsWith("#") && lines[first - 1].length - lines[first - 1].trimStart().length === indent) first--;
  return [...lines.slice(0, first), ...lines.slice(end)];
}

export function withoutMonitoring(envYaml: string): string {
  let lines = envYaml.split("\n");
  const tiers = lines.indexOf("tiers:");
  if (tiers >= 0) {
    const rest = cut(lines.slice(tiers + 1), 2, "monitoring");
    lines = [...lines.slice(0, tiers + 1), ...rest];
  }
  return cut(lines, 0, "monitoring").join("\n");
}
