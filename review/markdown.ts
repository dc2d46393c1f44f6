/**
 * The PR comment. Above the fold (test/review/comment-page.test.ts measures it in Chromium):
 * Terraform's plan line, the banner when data is at risk, the service-affecting section when
 * the load balancer's parts are destroyed or replaced, then our counts of replacements,
 * imports, moves and forgets. Then security-group
 * rules opened/closed, changes by tier and action (attributes in collapsible blocks), drift
 * and output changes. Never longer than GitHub's 65,536 characters: details go first, the
 * summary and banner always stay, and the comment says what was cut.
 */
import type { Analysis, Danger, ResourceReport } from "./analyze";

export const GITHUB_LIMIT = 65_536;
export const MARKER = "<!-- multitier-review -->";

const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 300);

/** Terraform's default reason for a replacement adds nothing to "forced by …": only the others are shown. */
const shownReason = (reason?: string) => (reason && reason !== "replace_because_cannot_update" ? reason : undefined);

function dangerLine(d: Danger): string {
  const forced = d.forcedBy.length ? `; forced by ${d.forcedBy.map(code).join(", ")}` : "";
  const reason = shownReason(d.reason) ? `; reason: ${code(d.reason!)}` : "";
  return `> - **${d.action.toUpperCase()}** ${code(d.address)} — ${d.why}${forced}${reason}`;
}

function header(a: Analysis, title: string): string[] {
  const c = a.counts;
  const lines = [MARKER, `## ${title}`, "", `**${a.planLine}**`, ""];
  if (a.errored && !a.planLine.startsWith("Planning failed"))
    lines.push("> [!WARNING]", "> **Planning failed.** Terraform encountered an error while generating this plan: the actions below are what it planned before the error; this plan cannot be applied.", "");
  // the banner right under the Plan line: both must be read before anything else
  if (a.danger.length) {
    const moves = a.danger.some((d) => d.action === "change") ? ", or moves the state or the region" : "";
    lines.push("> [!CAUTION]", `> **This plan destroys or replaces resources that hold data${moves}.** Check each one before applying:`);
    lines.push(...a.danger.map(dangerLine), "");
  }
  // its own section: the service stops for a while, nothing is lost (no exit code of its own)
  if (a.serviceAffecting.length) {
    lines.push("> [!WARNING]", "> **Service-affecting: this plan destroys or replaces parts of the load balancer.** Requests fail until they are back (no data is lost); apply in a quiet hour:");
    lines.push(...a.serviceAffecting.map(dangerLine), "");
  }
  // our own counts, on their own line: Terraform's Plan line never has them
  const reads = c.read ? ` · Reads: **${c.read}**` : "";
  lines.push(`Replacements: **${c.replace}** · Imports: **${c.import}** · Moves: **${c.move}** · Forgets: **${c.forget}**${reads}`, "");
  return lines;
}

function resourceBlock(r: ResourceReport, withDetails: boolean): string {
  const extra = [r.forcedBy.length ? `forced by ${r.forcedBy.map(code).join(", ")}` : "", r.imported ? "imported" : "", r.movedFrom ? `moved from ${code(r.movedFrom)}` : ""].filter(Boolean).join("; ");
  const summary = `${r.action} ${code(r.address)}${extra ? ` (${extra})` : ""}`;
  if (!withDetails || r.attributes.length === 0) return `- ${summary}`;
  const rows = r.attributes.map((x) => `| ${code(x.path)} | ${cell(x.before)} | ${cell(x.after)} |`);
  return [`<details><summary>${summary.replace(/`([^`]+)`/g, "<code>$1</code>")} — ${r.attributes.length} attribute(s)</summary>`, "", "| attribute | before | after |", "|---|---|---|", ...rows, "", "</details>"].join("\n");
}

function body(a: Analysis, withDetails: boolean): string[] {
  const out: string[] = [];
  if (a.config.length) {
    out.push("### Provider and backend", "", "| stack | setting | before | after |", "|---|---|---|---|");
    for (const c of a.config) out.push(`| ${code(c.stack)} | ${cell(c.subject)} | ${cell(c.before)} | ${cell(c.after)} |`);
    out.push("");
  }
  if (a.securityGroups.length) {
    out.push("### Security-group rules", "", "| | rule | group |", "|---|---|---|");
    for (const r of a.securityGroups) out.push(`| ${r.change === "opened" ? "🔓 opened" : "🔒 closed"} | ${code(r.rule)} | ${code(r.group)} |`);
    out.push("");
  }
  if (a.groups.length) out.push("### Changes by tier", "");
  let tier = "";
  for (const g of a.groups) {
    if (g.tier !== tier) out.push(`#### ${g.tier}`, "");
    tier = g.tier;
    out.push(`**${g.action}** (${g.resources.length})`, "", ...g.resources.map((r) => resourceBlock(r, withDetails)), "");
  }
  if (a.drift.length) {
    out.push("### Drift (changed outside Terraform)", "");
    for (const d of a.drift) out.push(`- ${d.action} ${code(d.address)} (${d.type})`);
    out.push("");
  }
  if (a.outputs.length) {
    out.push("### Output changes", "", "| output | change | before | after |", "|---|---|---|---|");
    for (const o of a.outputs) out.push(`| ${code(o.name)} | ${o.action} | ${cell(o.before)} | ${cell(o.after)} |`);
    out.push("");
  }
  return out;
}

export function renderMarkdown(a: Analysis, title = "Terraform plan review", limit = GITHUB_LIMIT): string {
  const head = header(a, title).join("\n");
  const full = [head, ...body(a, true)].join("\n");
  if (full.length <= limit) return full;
  const brief = [head, "_Attribute details were left out to fit GitHub's comment limit._", "", ...body(a, false)].join("\n");
  if (brief.length <= limit) return brief;
  const note = (n: number) => `\n\n_… cut here: the comment limit is ${limit.toLocaleString("en")} characters; ${n} more line(s) not shown. Run \`multitier review\` locally for everything._\n`;
  const lines = brief.split("\n");
  let kept = lines.length;
  let text = brief;
  while (kept > 0 && text.length + note(lines.length - kept).length > limit) {
    kept = Math.max(head.split("\n").length, kept - Math.max(1, Math.ceil((text.length - limit) / 80)));
    text = lines.slice(0, kept).join("\n");
    if (kept === head.split("\n").length) break;
  }
  return text + note(lines.length - kept);
}

export function renderJson(a: Analysis): string {
  return JSON.stringify({ planLine: a.planLine, errored: a.errored, counts: a.counts, danger: a.danger, serviceAffecting: a.serviceAffecting, groups: a.groups, securityGroups: a.securityGroups, drift: a.drift, outputs: a.outputs, config: a.config }, null, 2);
}
