/**
 * The one place secret values are hidden. Every message, diff and JSON event of a run goes
 * through `mask()`; the executor asks `isSecret()` before putting anything on a command line.
 *
 * Covered forms of each value: as is, URL-encoded (passwords inside mongodb:// URLs),
 * base64, JSON-escaped (quoted by templates), and — for multi-line values such as a TLS
 * key — every line of 8 characters or more (a diff shows a file line by line). Values shorter than 4 characters are not masked: they
 * would blank out ordinary words and numbers all over the output.
 */
export const MASK = "********";
export const MIN_SECRET_LENGTH = 4;

export class Masker {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: unknown): void {
    if (typeof value !== "string" && typeof value !== "number") return;
    const s = String(value);
    if (s.length < MIN_SECRET_LENGTH) return;
    // JSON-escaped too: templates quote secrets with {{json …}} (alertmanager.yml, mongosh)
    const forms = [s, encodeURIComponent(s), Buffer.from(s).toString("base64"), JSON.stringify(s).slice(1, -1)];
    if (s.includes("\n")) forms.push(...s.split("\n").map((l) => l.trim()).filter((l) => l.length >= 8));
    for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) this.forms.add(f);
    this.pattern = undefined;
  }

  /** Register every leaf value of a decrypted vault. */
  addAll(tree: unknown): void {
    if (Array.isArray(tree)) tree.forEach((v) => this.addAll(v));
    else if (tree && typeof tree === "object") Object.values(tree).forEach((v) => this.addAll(v));
    else this.add(tree);
  }

  get size(): number {
    return this.forms.size;
  }

  private regex(): RegExp | undefined {
    if (this.forms.size === 0) return undefined;
    if (!this.pattern) {
      const alternatives = [...this.forms].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      this.pattern = new RegExp(alternatives.join("|"), "g");
    }
    return this.pattern;
  }

  mask(text: string): string {
    const re = this.regex();
    return re ? text.replace(re, MASK) : text;
  }

  isSecret(text: string): boolean {
    const re = this.regex();
    if (!re) return false;
    re.lastIndex = 0;
    const found = re.test(text);
    re.lastIndex = 0;
    return found;
  }
}
