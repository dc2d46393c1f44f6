/**
 * command / shell — run something on the host, unless a guard says it is already done.
 *
 * Arguments: cmd, chdir, creates (a path: nothing to do when it exists), removes (a path:
 * nothing to do when it is absent), unless (a read-only shell check: nothing to do when it
 * exits 0), stdin (text for the command's stdin — the only place a secret may go),
 * stdinTemplate (a template under templates/ rendered into stdin instead), user (run as
 * this user).
 * `command` runs one program with its arguments, quoted word by word, and refuses shell
 * syntax; `shell` runs `cmd` through /bin/sh (pipes, redirections …).
 *
 *   - name: Python environment
 *     command: { cmd: "python3 -m venv /code/venv", creates: /code/venv/bin/python }
 *   - name: admin user
 *     shell: { cmd: "mongosh --quiet admin", stdin: "{{vault.mongodb.createAdmin}}", unless: "test -f /etc/mongod.users-done" }
 *
 * Without a guard a command always reports "changed". Under --check nothing runs.
 */
import { z } from "zod";
import type { Op } from "../agent/protocol";
import { asSh, asStat } from "./results";
import { b64, shq, type Module, type Plan, type TaskContext } from "./types";

const base = {
  cmd: z.string().min(1),
  chdir: z.string().startsWith("/").optional(),
  creates: z.string().startsWith("/").optional(),
  removes: z.string().startsWith("/").optional(),
  unless: z.string().min(1).optional(),
  stdin: z.string().optional(),
  stdinTemplate: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
};

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~=%{}!\n]/;

const commandArgs = z
  .object(base)
  .strict()
  .refine((a) => !SHELL_SYNTAX.test(a.cmd), { message: "shell syntax in a command (quotes, pipes, redirections, variables …): use the shell module", path: ["cmd"] });
const shellArgs = z.object(base).strict();
type Args = z.output<typeof shellArgs>;

function guards(a: Args): Op[] {
  const ops: Op[] = [];
  if (a.creates) ops.push({ op: "stat", path: a.creates });
  if (a.removes) ops.push({ op: "stat", path: a.removes });
  if (a.unless) ops.push({ op: "sh", script: a.unless, cwd: a.chdir, user: a.user });
  return ops;
}

function planRun(a: Args, results: Parameters<Module["plan"]>[1], script: string, ctx: TaskContext): Plan {
  let k = 0;
  if (a.creates && asStat(results[k++], `stat ${a.creates}`).exists) return { status: "ok", msg: `nothing to do (${a.creates} exists)` };
  if (a.removes && !asStat(results[k++], `stat ${a.removes}`).exists) return { status: "ok", msg: `nothing to do (${a.removes} is absent)` };
  if (a.unless && asSh(results[k++], "unless").rc === 0) return { status: "ok", msg: "nothing to do (unless succeeded)" };
  return {
    status: "changed",
    msg: `run: ${a.cmd.split("\n")[0]}`,
    apply: [{ op: "sh", script, cwd: a.chdir, user: a.user, ...(stdinOf(a, ctx) !== undefined ? { stdin: b64(stdinOf(a, ctx)!) } : {}) }],
  };
}

function stdinOf(a: Args, ctx: TaskContext): string | undefined {
  return a.stdinTemplate ? ctx.render({ file: a.stdinTemplate }) : a.stdin;
}

export const command: Module<Args> = {
  name: "command",
  doc: "run one program (no shell), guarded by creates/removes/unless; stdin for secrets",
  args: commandArgs,
  probe: guards,
  plan: (a, r, ctx) => planRun(a, r, a.cmd.trim().split(/\s+/).map(shq).join(" "), ctx),
};

export const shell: Module<Args> = {
  name: "shell",
  doc: "run a /bin/sh script, guarded by creates/removes/unless; stdin for secrets",
  args: shellArgs,
  probe: guards,
  plan: (a, r, ctx) => planRun(a, r, a.cmd, ctx),
};
