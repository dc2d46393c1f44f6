/**
 * user — a (system) user account.
 *
 * Arguments:
 *   name         user name                                                       required
 *   system       default true: a service account (useradd --system: no aging, a system uid)
 *   home         home directory (absolute); changed on an existing user with usermod --home
 *                (files are not moved)
 *   shell        login shell; default at creation /usr/sbin/nologin for system users,
 *                /bin/bash otherwise; changed on an existing user only when given
 *   groups       supplementary groups; missing ones are ADDED (usermod --append), others kept
 *   create_home  create the home directory at creation (default false)
 *   state        present (default) | absent (userdel; the home is kept)
 *
 *   - name: the e-mission service account
 *     user: { name: emission, home: /code, groups: [adm] }
 *   - name: analyst owns /notebooks and logs in
 *     user: { name: analyst, system: false, home: /home/analyst, create_home: true, shell: /bin/bash }
 *
 * Probe: the agent's account op (what `getent passwd` and `id -nG` show, without their
 * processes). Apply: one `useradd --system --user-group …` or `usermod …` (or userdel).
 * Never sets a password.
 */
import { z } from "zod";
import type { AccountResult } from "../agent/protocol";
import { facts } from "../facts";
import { absPath, masked, userName } from "./results";
import { shq, type Module, type Plan, type TaskContext } from "./types";

const args = z
  .object({
    name: userName,
    system: z.boolean().default(true),
    home: absPath.optional(),
    shell: absPath.optional(),
    groups: z.array(userName).default([]),
    create_home: z.boolean().default(false),
    state: z.enum(["present", "absent"]).default("present"),
  })
  .strict();
type Args = z.output<typeof args>;

function planUser(a: Args, account: AccountResult, ctx: TaskContext): Plan {
  const exists = account.exists;
  const would = (verb: string) => (ctx.check ? `would ${verb}` : verb);
  const n = shq(a.name);
  if (a.state === "absent")
    return exists ? { status: "changed", msg: `${would("remove")} user ${a.name}`, apply: [{ op: "sh", script: `userdel ${n}` }] } : { status: "ok", msg: "nothing to do (no such user)" };
  if (!exists) {
    const shell = a.shell ?? (a.system ? "/usr/sbin/nologin" : "/bin/bash");
    const opts = [
      a.system ? "--system" : "",
      "--user-group",
      a.home ? `--home-dir ${shq(a.home)}` : "",
      a.create_home ? "--create-home" : "--no-create-home",
      `--shell ${shq(shell)}`,
      a.groups.length ? `--groups ${shq(a.groups.join(","))}` : "",
    ];
    return { status: "changed", msg: `${would("create")} ${a.system ? "system " : ""}user ${a.name}`, apply: [{ op: "sh", script: `useradd ${opts.filter(Boolean).join(" ")} ${n}` }] };
  }
  const have = new Set(account.groups ?? []);
  const changes: string[] = [];
  const opts: string[] = [];
  if (a.shell && account.shell !== a.shell) opts.push(`--shell ${shq(a.shell)}`), changes.push(`shell ${account.shell} → ${a.shell}`);
  if (a.home && account.home !== a.home) opts.push(`--home ${shq(a.home)}`), changes.push(`home ${account.home} → ${a.home}`);
  const missing = a.groups.filter((g) => !have.has(g));
  if (missing.length) opts.push(`--append --groups ${shq(missing.join(","))}`), changes.push(`groups + ${missing.join(",")}`);
  if (!opts.length) return { status: "ok", msg: "nothing to do" };
  return { status: "changed", msg: `${would("change")} user ${a.name}: ${changes.join(", ")}`, apply: [{ op: "sh", script: `usermod ${opts.join(" ")} ${n}` }] };
}

export const user: Module<Args> = {
  name: "user",
  doc: "a system user (home, shell, supplementary groups) or its absence",
  args,
  probe: (a) => [facts.account.op({ name: a.name })],
  plan: (a, [r], ctx) => masked(planUser(a, facts.account.read(r, `user ${a.name}`), ctx), ctx),
};
