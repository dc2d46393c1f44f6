/**
 * OpenSSH known_hosts: parse, look up, fingerprint, append. Supports plain patterns
 * (`host,10.0.0.1`, `[host]:2222`, `*`/`?` wildcards, `!negation`), hashed entries
 * (`|1|salt|hash`, HMAC-SHA1) and the `@revoked` marker (always refused).
 * `@cert-authority` lines are ignored (we do not do host certificates).
 */
import * as crypto from "crypto";
import * as fs from "fs";

export interface KnownHostEntry {
  marker?: "revoked" | "cert-authority";
  patterns: string[];
  keyType: string;
  key: string; // base64 blob
  line: number;
}

export class HostKeyError extends Error {
  constructor(
    readonly host: string,
    readonly kind: "unknown" | "changed" | "revoked",
    message: string,
  ) {
    super(message);
    this.name = "HostKeyError";
  }
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (parts[0].startsWith("@")) {
      const m = parts.shift()!;
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else return;
    }
    if (parts.length < 3) return;
    out.push({ marker, patterns: parts[0].split(","), keyType: parts[1], key: parts[2], line: i + 1 });
  });
  return out;
}

/** The name a host has in known_hosts: `addr`, or `[addr]:port` when the port is not 22. */
export function hostToken(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(p: string): RegExp {
  return new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "i");
}

function patternMatches(pattern: string, token: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    const mac = crypto.createHmac("sha1", Buffer.from(salt, "base64")).update(token).digest("base64");
    return mac === hash;
  }
  return globToRegExp(pattern).test(token);
}

export function entryMatches(e: KnownHostEntry, token: string): boolean {
  let positive = false;
  for (const p of e.patterns) {
    if (p.startsWith("!")) {
      if (patternMatches(p.slice(1), token)) return false;
    } else if (patternMatches(p, token)) positive = true;
  }
  return positive;
}

/** `SHA256:…` exactly as `ssh-keygen -lf` prints it. */
export function fingerprint(keyBlob: Buffer | string): string {
  const blob = typeof keyBlob === "string" ? Buffer.from(keyBlob, "base64") : keyBlob;
  return "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type inside an SSH public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("ascii");
}

export class KnownHosts {
  private entries: KnownHostEntry[];

  constructor(readonly file: string) {
    this.entries = fs.existsSync(file) ? parseKnownHosts(fs.readFileSync(file, "utf8")) : [];
  }

  /**
   * Check an offered key. Known and equal: ok. Revoked or changed: always refused.
   * Unknown: refused unless `acceptNew`, then recorded (returns "recorded").
   */
  verify(name: string, host: string, port: number, offered: Buffer, acceptNew: boolean): "ok" | "recorded" {
    const token = hostToken(host, port);
    const offeredB64 = offered.toString("base64");
    const type = keyTypeOf(offered);
    const matching = this.entries.filter((e) => e.marker !== "cert-authority" && entryMatches(e, token));
    if (matching.some((e) => e.marker === "revoked" && e.key === offeredB64))
      throw new HostKeyError(name, "revoked", `host key of ${name} (${token}) is marked @revoked in ${this.file}: refusing to connect`);
    const usable = matching.filter((e) => !e.marker);
    if (usable.some((e) => e.key === offeredB64)) return "ok";
    if (usable.length > 0) {
      const expected = [...new Set(usable.map((e) => fingerprint(e.key)))].join(", ");
      throw new HostKeyError(
        name,
        "changed",
        `host key of ${name} (${token}) has CHANGED: expected ${expected}, offered ${type} ${fingerprint(offered)} (${this.file}). If the host was rebuilt on purpose, delete its line and rerun with --accept-new-host-keys.`,
      );
    }
    if (!acceptNew)
      throw new HostKeyError(name, "unknown", `unknown host key of ${name} (${token}): ${type} ${fingerprint(offered)} is not in ${this.file}; check it and rerun with --accept-new-host-keys to record it`);
    this.append(token, type, offeredB64);
    return "recorded";
  }

  private append(token: string, type: string, b64: string): void {
    const prefix = fs.existsSync(this.file) && !fs.readFileSync(this.file, "utf8").endsWith("\n") && fs.statSync(this.file).size > 0 ? "\n" : "";
    fs.appendFileSync(this.file, `${prefix}${token} ${type} ${b64}\n`, { mode: 0o644 });
    this.entries.push({ patterns: [token], keyType: type, key: b64, line: this.entries.length + 1 });
  }
}
