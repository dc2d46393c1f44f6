/**
 * Reporters: `human` prints live progress (host, task, status, time) and the recap table;
 * `json` prints one JSON event per line (the last one is the recap).
 */
import type { Counts, Reporter, RunEvent } from "./events";

const COLORS: Record<string, string> = { ok: "32", changed: "33", failed: "31", unreachable: "31", skipped: "36" };

export class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  emit(e: RunEvent): void {
    this.out.write(JSON.stringify(e) + "\n");
  }
}

export class HumanReporter implements Reporter {
  private readonly color: boolean;
  constructor(private readonly out: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout, color?: boolean) {
    this.color = color ?? (Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR);
  }

  private paint(status: string, text: string): string {
    return this.color && COLORS[status] ? `\x1b[${COLORS[status]}m${text}\x1b[0m` : text;
  }

  emit(e: RunEvent): void {
    const w = (s: string) => this.out.write(s + "\n");
    switch (e.event) {
      case "start":
        w(`${e.command} ${e.services.join(", ")} on ${e.env}: ${e.hosts.length} host(s)${e.check ? " [check: nothing will change]" : ""}${e.diff ? " [diff]" : ""}`);
        break;
      case "play":
        w(`\nPLAY [${e.service}: ${e.play}] ${e.hosts.join(", ") || "(no hosts)"}`);
        break;
      case "connect":
        w(`  ${e.host.padEnd(14)} connected (${e.seconds.toFixed(2)}s)`);
        break;
      case "task": {
        const label = `${e.handler ? "handler: " : ""}${e.task}`;
        const msg = e.msg ? ` — ${e.msg}` : "";
        w(`  ${e.host.padEnd(14)} ${this.paint(e.status, e.status.padEnd(8))} ${label}${msg} (${e.seconds.toFixed(2)}s)`);
        if (e.diff) w(e.diff.replace(/^/gm, "      "));
        break;
      }
      case "unreachable":
        w(`  ${e.host.padEnd(14)} ${this.paint("unreachable", "UNREACHABLE")} ${e.msg}`);
        break;
      case "lock":
        w(`  ${e.host.padEnd(14)} ${e.state === "refused" ? this.paint("unreachable", "LOCKED") : "lock"} ${e.msg}`);
        break;
      case "interrupted":
        w(`\nINTERRUPTED: ${e.msg}`);
        break;
      case "recap":
        w(recapTable(e.hosts, e.seconds));
        break;
    }
  }
}

export function recapTable(hosts: Record<string, Counts>, seconds: number): string {
  const names = Object.keys(hosts);
  const width = Math.max(4, ...names.map((n) => n.length));
  const cols = ["ok", "changed", "failed", "unreachable", "skipped"] as const;
  const lines = [`\nRECAP (${seconds.toFixed(1)}s)`, `${"host".padEnd(width)}  ${cols.map((c) => c.padStart(c.length)).join("  ")}`];
  for (const n of names) lines.push(`${n.padEnd(width)}  ${cols.map((c) => String(hosts[n][c]).padStart(c.length)).join("  ")}`);
  return lines.join("\n");
}
