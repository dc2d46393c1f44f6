/**
 * cron — a named block of jobs in a user's crontab, leaving other lines alone.
 *
 * Arguments: user, name (the block: `# BEGIN multitier <name>` … `# END multitier <name>`),
 * jobs: [{ name, schedule (5 fields or @daily/@hourly/@reboot …, checked with cron-parser),
 * job }], state (present | absent).
 *
 *   - name: intake pipeline
 *     cron:
 *       user: ubuntu
 *       name: emission
 *       jobs:
 *         - { name: intake, schedule: "@daily", job: "cd /code/e-mission-server && ./e-mission-py.bash bin/intake_multiprocess.py 3 >> /log/intake.log 2>&1" }
 *
 * The new crontab goes to `crontab -u <user> -` on stdin.
 */
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { createTwoFilesPatch } from "diff";
import { asSh } from "./results";
import { b64, shq, type Module } from "./types";

const NICKNAMES = ["@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

export function validSchedule(s: string): boolean {
  if (NICKNAMES.includes(s)) return true;
  if (s.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(s);
    return true;
  } catch {
    return false;
  }
}

const job = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9 ._-]+$/, "expected a job name"),
    schedule: z.string().refine(validSchedule, (s) => ({ message: `expected a cron schedule (5 fields or @daily, @hourly …), got "${s}"` })),
    job: z.string().min(1).refine((j) => !j.includes("\n"), "a job is one line"),
  })
  .strict();
const args = z
  .object({
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "expected a user name"),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, "expected a block name"),
    jobs: z.array(job).default([]),
    state: z.enum(["present", "absent"]).default("present"),
  })
  .strict();
type Args = z.output<typeof args>;

/** The crontab with our block replaced (pure: tested directly). */
export function withBlock(current: string, a: Pick<Args, "name" | "jobs" | "state">): string {
  const begin = `# BEGIN multitier ${a.name}`;
  const end = `# END multitier ${a.name}`;
  const lines = current.split("\n").filter((l, i, all) => !(i === all.length - 1 && l === ""));
  const out: string[] = [];
  let inside = false;
  for (const l of lines) {
    if (l === begin) inside = true;
    else if (l === end) inside = false;
    else if (!inside) out.push(l);
  }
  if (a.state === "present") out.push(begin, ...a.jobs.flatMap((j) => [`# ${j.name}`, `${j.schedule} ${j.job}`]), end);
  return out.length ? out.join("\n") + "\n" : "";
}

export const cron: Module<Args> = {
  name: "cron",
  doc: "a named block of jobs in a user's crontab (schedules validated)",
  args,
  probe: (a) => [{ op: "sh", script: `crontab -l -u ${shq(a.user)} 2>/dev/null; true` }],
  plan(a, [r], ctx) {
    const current = asSh(r, "crontab -l").stdout;
    const next = withBlock(current, a);
    if (next === current) return { status: "ok", msg: "nothing to do" };
    return {
      status: "changed",
      msg: `crontab of ${a.user}: ${a.state === "present" ? `${a.jobs.length} job(s) in block ${a.name}` : `remove block ${a.name}`}`,
      diff: ctx.diff ? createTwoFilesPatch(`crontab ${a.user}`, `crontab ${a.user}`, current, next) : undefined,
      apply: [{ op: "sh", script: `crontab -u ${shq(a.user)} -`, stdin: b64(next) }],
    };
  },
};
