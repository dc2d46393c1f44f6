/**
 * show — run a read-only command and show its output in the task's message; changes
 * nothing, so it reports "ok" and runs under --check too.
 *
 * Arguments: cmd (a shell command), user.
 *
 *   - name: the analysis schedule
 *     show: { cmd: "crontab -l -u emission" }
 */
import { z } from "zod";
import { facts } from "../facts";
import type { Module } from "./types";

const args = z.object({ cmd: z.string().min(1), user: z.string().min(1).optional() }).strict();
type Args = z.output<typeof args>;

export const show: Module<Args> = {
  name: "show",
  doc: "run a read-only command and print its output (never a change)",
  args,
  probe: (a) => [facts.output.op({ script: a.cmd, user: a.user })],
  plan(a, [r]) {
    const out = facts.output.read(r, a.cmd);
    const text = (out.stdout + out.stderr).trimEnd();
    return { status: out.rc === 0 ? "ok" : "failed", msg: text ? `\n${text}` : "(no output)" };
  },
};
