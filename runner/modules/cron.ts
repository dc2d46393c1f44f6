/**
 * cron — a named block of jobs in a user's crontab, leaving every other line alone.
 *
 * Arguments:
 *   user   whose crontab (`crontab -u <user>`)                                   required
 *   name   the block: `# BEGIN multitier <name>` … `# END multitier <name>`         required
 *   jobs   list of { name (a comment line above the job), schedule, job (one command line) }
 *          schedule: 5 fields checked with cron-parser, or @reboot @yearly @annually
 *          @monthly @weekly @daily @midnight @hourly; a `%` in job must be written `\%`
 *          (cron turns a bare % into a newline)                            default []
 *   state  present (default) | absent (the block is removed)
 *
 *   - name: intake pipeline
 *     cron:
 *       user: emission
 *       name: emission
 *       jobs:
 *         - { name: intake, schedule: "*\/10 * * * *", job: "cd /code/e-mission-server && ./e-mission-py.bash bin/intake_multiprocess.py 3 >> /log/intake.log 2>&1" }
 *         - { name: pipeline reset, schedule: "@daily", job: "/code/reset.sh" }
 *
 * Probe: the agent's crontab op (what `crontab -l -u <user>` lists; no crontab = empty). The
 * new crontab is computed here and, when it differs, installed by ONE sh op
 * `crontab -u <user> -` with the text on stdin (a job may hold a secret; it never appears on a
 * command line). --diff shows the crontab diff.
 */
import { z } from "zod";
import { facts } from "../facts";
import { unifiedDiff } from "../unified-diff";
import { masked, userName } from "./results";
import { b64, shq, type Module, type Plan, type TaskContext } from "./types";

const NICKNAMES = ["@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

export function validSchedule(s: string): boolean {
  if (NICKNAMES.includes(s.trim())) return true;
  if (s.trim().split(/\s+/).length !== 5) return false;
  try {
    // loaded when a playbook has a cron task, not at every start (bench/startup.sh)
    (require("cron-parser") as typeof import("cron-parser")).CronExpressionParser.parse(s);
    return true;
  } catch {
    return false;
  }
}

const job = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9 ._:()-]+$/, "expected a job name (letters, digits, spaces, . _ : ( ) -)"),
    schedule: z.string().refine(validSchedule, (s) => ({ message: `expected a cron schedule (5 fields such as "*/10 * * * *", or @daily, @hourly, @reboot …), got "${s}"` })),
    job: z
      .string()
      .min(1)
      .refine((j) => !j.includes("\n"), "a job is one line")
      .refine((j) => !/(^|[^\\])%/.test(j), 'a bare % in a cron job is a newline to cron: write it as \\%'),
  })
  .strict();
const args = z
  .object({
    user: userName,
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, "expected a block name (letters, digits, . _ -)"),
    jobs: z
      .array(job)
      .default([])
      .refine((js) => new Set(js.map((j) => j.name)).size === js.length, { message: "expected unique job names" }),
    state: z.enum(["present", "absent"]).default("present"),
  })
  .strict();
type Args = z.output<typeof args>;

/**
 * The crontab with our block replaced (pure: tested directly). Lines outside the block are
 * kept as they are; a new block goes at the end.
 */
export function withBlock(current: string, a: Pick<Args, "name" | "jobs" | "state">): string {
  const begin = `# BEGIN multitier ${a.name}`;
  const end = `# END multitier ${a.name}`;
  const lines = current === "" ? [] : current.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let inside = false;
  let at = -1;
  for (const l of lines) {
    if (l === begin && !inside) {
      inside = true;
      if (at < 0) at = out.length;
    } else if (l === end && inside) inside = false;
    else if (!inside) out.push(l);
  }
  if (inside) throw new Error(`the crontab has "${begin}" without "${end}": fix it by hand (crontab -e)`);
  const block = [begin, ...a.jobs.flatMap((j) => [`# ${j.name}`, `${j.schedule.trim()} ${j.job}`]), end];
  if (a.state === "present") out.splice(at < 0 ? out.length : at, 0, ...block);
  return out.length ? out.join("\n") + "\n" : "";
}

function planCron(a: Args, r: Parameters<Module["plan"]>[1][number], ctx: TaskContext): Plan {
  const current = facts.crontab.read(r, `crontab of ${a.user}`).content;
  const next = withBlock(current, a);
  if (next === current) return { status: "ok", msg: "nothing to do" };
  const what = a.state === "present" ? `${a.jobs.length} job(s) in block ${a.name}` : `remove block ${a.name}`;
  return {
    status: "changed",
    msg: `${ctx.check ? "would change" : "changed"} crontab of ${a.user}: ${what}`,
    diff: ctx.diff ? unifiedDiff(`crontab ${a.user}`, `crontab ${a.user}`, current, next) : undefined,
    apply: [{ op: "sh", script: `crontab -u ${shq(a.user)} -`, stdin: b64(next) }],
  };
}

export const cron: Module<Args> = {
  name: "cron",
  doc: "a named block of jobs in a user's crontab (schedules validated), via crontab -u <user> -",
  args,
  probe: (a) => [facts.crontab.op({ user: a.user })],
  plan: (a, [r], ctx) => masked(planCron(a, r, ctx), ctx),
};
