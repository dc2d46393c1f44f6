/**
 * Reporters: `human` prints live progress (host, task, status, time) and the recap table;
 * `json` prints one JSON event per line (the last one is the recap).
 */
import type { Counts, Reporter, Rollout, RunEvent } from "./events";
import { describeBatches } from "./rollout";

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
      case "rollout":
        w(`  ROLLOUT ${e.check ? "(check) " : ""}${describeBatches(e.batches)}${e.maxFailPercentage !== undefined ? ` (max_fail_percentage ${e.maxFailPercentage})` : ""}`);
        break;
      case "batch": {
        const at = e.at.slice(11, 19); // HH:MM:SS UTC
        if (e.state === "started") w(`  BATCH ${e.index}/${e.of} ${e.hosts.join(", ")} started ${at}`);
        else w(`  BATCH ${e.index}/${e.of} ${e.state === "done" ? "done" : this.paint("failed", "FAILED")} ${at}${e.failed?.length ? ` (failed: ${e.failed.join(", ")})` : ""}`);
        break;
      }
      case "balancer":
        w(`  ${"balancer".padEnd(14)} ${e.action === "failed" ? this.paint("failed", "FAILED") : e.action} ${e.msg}`);
        break;
      case "recap":
        w(recapTable(e.hosts, e.seconds, e.notStarted));
        for (const r of e.rollouts ?? []) w(rolloutLine(r));
        break;
    }
  }
}

/** "rollout webapp (…): stopped at batch 1/3 — new configuration on: none; not started (old configuration): webapp-2, webapp-3" */
export function rolloutLine(r: Rollout): string {
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "none");
  const head = `rollout ${r.service} (${r.play}): ${r.stoppedAt ? `STOPPED at batch ${r.stoppedAt}/${r.batches.length}` : `${r.batches.length} batch(es) done`}`;
  const parts = [`new configuration on: ${list(r.updated)}`];
  if (r.failed.length) parts.push(`failed: ${list(r.failed)}`);
  if (r.notStarted.length) parts.push(`not started (old configuration): ${list(r.notStarted)}`);
  return `${head} — ${parts.join("; ")}`;
}

export function recapTable(hosts: Record<string, Counts>, seconds: number, notStarted: string[] = []): string {
  const names = [...Object.keys(hosts), ...notStarted.filter((n) => !(n in hosts))];
  const width = Math.max(4, ...names.map((n) => n.length));
  const cols = ["ok", "changed", "failed", "unreachable", "skipped"] as const;
  const lines = [`\nRECAP (${seconds.toFixed(1)}s)`, `${"host".padEnd(width)}  ${cols.map((c) => c.padStart(c.length)).join("  ")}`];
  for (const n of names) {
    const counts = hosts[n] ?? { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 };
    lines.push(`${n.padEnd(width)}  ${cols.map((c) => String(counts[c]).padStart(c.length)).join("  ")}${notStarted.includes(n) ? "  not started" : ""}`);
  }
  return lines.join("\n");
}
