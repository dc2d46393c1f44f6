/**
 * command / shell — run something on the host, unless a guard says it is already done.
 *
 * Arguments:
 *   cmd            command | shell: one program and its arguments, split at whitespace and
 *                  each word single-quoted (quotes, pipes, redirections, $variables, globs
 *                  are refused: use shell) | shell: a /bin/sh script          required
 *   chdir          working directory (absolute)
 *   creates        absolute path: nothing to do when it exists
 *   removes        absolute path: nothing to do when it does not exist
 *   unless         a read-only shell check, run (as `user`, in `chdir`) with the probes:
 *                  nothing to do when it exits 0
 *   stdin          text for the command's stdin — the only place a secret may go
 *   stdinTemplate  a file under templates/ rendered into stdin instead (multi-line secrets)
 *   user           run as this user (the agent is root when the play becomes)
 *
 *   - name: Python environment
 *     command: { cmd: "python3 -m venv /code/venv", creates: /code/venv/bin/python }
 *   - name: admin user
 *     shell: { cmd: "mongosh --quiet admin", stdin: "{{vault.mongodb.createAdmin}}", unless: "test -f /etc/mongod.users-done" }
 *
 * Without a guard (or when the guards say "not done") the task reports "changed" and runs
 * its one sh op; under --check it reports "would run …" and runs nothing. A guard that
 * holds reports "nothing to do (… exists)". A secret in cmd, unless, chdir, creates or
 * removes fails the task before anything is sent (only stdin may carry one). A non-zero
 * exit fails the task with the last lines of its output.
 */
import { z } from "zod";
import type { Op, OpResult } from "../agent/protocol";
import { facts } from "../facts";
import { absPath, masked, noSecretIn, userName } from "./results";
import { b64, shq, type Module, type Plan, type TaskContext } from "./types";

const base = {
  cmd: z.string().min(1),
  chdir: absPath.optional(),
  creates: absPath.optional(),
  removes: absPath.optional(),
  unless: z.string().min(1).optional(),
  stdin: z.string().optional(),
  stdinTemplate: z.string().min(1).optional(),
  user: userName.optional(),
};

/**
 * What /bin/sh would interpret if the words were not quoted: a person writing them expects
 * the shell's meaning, and quoted they would silently mean something else. `=`, `%`, `:`,
 * `,`, `@`, `+`, `{}` are ordinary characters in a quoted word and stay allowed.
 */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]\n]|(^|\s)[~#]/;

const oneStdin = (a: { stdin?: string; stdinTemplate?: string }) => a.stdin === undefined || a.stdinTemplate === undefined;
const commandArgs = z
  .object(base)
  .strict()
  .refine((a) => !SHELL_SYNTAX.test(a.cmd), { message: "shell syntax in a command (quotes, pipes, redirections, variables, globs …): use the shell module", path: ["cmd"] })
  .refine(oneStdin, { message: "expected stdin or stdinTemplate, not both", path: ["stdinTemplate"] });
const shellArgs = z.object(base).strict().refine(oneStdin, { message: "expected stdin or stdinTemplate, not both", path: ["stdinTemplate"] });
type Args = z.output<typeof shellArgs>;

function guards(a: Args, ctx: TaskContext): Op[] {
  noSecretIn(ctx, "cmd", a.cmd);
  noSecretIn(ctx, "unless", a.unless);
  noSecretIn(ctx, "a path (chdir, creates, removes)", a.chdir, a.creates, a.removes);
  const ops: Op[] = [];
  if (a.creates) ops.push(facts.file.op({ path: a.creates }));
  if (a.removes) ops.push(facts.file.op({ path: a.removes }));
  if (a.unless) ops.push(facts.output.op({ script: a.unless, cwd: a.chdir, user: a.user }));
  return ops;
}

/** stdin, rendered once in `prepare` (a bad stdinTemplate fails before anything is sent) */
const stdinOf = (a: Args, ctx: TaskContext): string | undefined => (a.stdinTemplate ? ctx.render({ file: a.stdinTemplate }) : a.stdin);

function planRun(a: Args, results: OpResult[], script: string, ctx: TaskContext, stdin: string | undefined): Plan {
  let k = 0;
  if (a.creates && facts.file.read(results[k++], `stat ${a.creates}`).exists) return { status: "ok", msg: `nothing to do (${a.creates} exists)` };
  if (a.removes && !facts.file.read(results[k++], `stat ${a.removes}`).exists) return { status: "ok", msg: `nothing to do (${a.removes} does not exist)` };
  if (a.unless && facts.output.read(results[k++], "unless").rc === 0) return { status: "ok", msg: `nothing to do (unless: ${a.unless.split("\n")[0]} succeeded)` };
  const first = a.cmd.trim().split("\n")[0];
  return {
    status: "changed",
    msg: `${ctx.check ? "would run" : "ran"}: ${first}${a.cmd.trim().includes("\n") ? " …" : ""}`,
    apply: [{ op: "sh", script, cwd: a.chdir, user: a.user, ...(stdin !== undefined ? { stdin: b64(stdin) } : {}) }],
  };
}

export const command: Module<Args, string | undefined> = {
  name: "command",
  doc: "run one program (no shell), guarded by creates/removes/unless; stdin for secrets",
  args: commandArgs,
  prepare: stdinOf,
  probe: guards,
  plan: (a, r, ctx, stdin) =>
    masked(
      planRun(
        a,
        r,
        a.cmd
          .trim()
          .split(/\s+/)
          .map(shq)
          .join(" "),
        ctx,
        stdin,
      ),
      ctx,
    ),
};

export const shell: Module<Args, string | undefined> = {
  name: "shell",
  doc: "run a /bin/sh script, guarded by creates/removes/unless; stdin for secrets",
  args: shellArgs,
  prepare: stdinOf,
  probe: guards,
  plan: (a, r, ctx, stdin) => masked(planRun(a, r, a.cmd, ctx, stdin), ctx),
};
