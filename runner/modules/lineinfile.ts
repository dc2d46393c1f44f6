/**
 * lineinfile — make sure one line is in a file (or not), leaving the rest alone.
 *
 * Arguments: path, line, regexp (the line to replace; its last match), state (present |
 * absent), insertafter / insertbefore (a regexp, or EOF / BOF; where a new line goes),
 * create (make the file when missing), owner, group, mode, validate, backup.
 *
 *   - name: the host knows its own name (sudo: unable to resolve host)
 *     lineinfile: { path: /etc/hosts, regexp: '^127\.0\.1\.1\s', line: "127.0.1.1 {{host.name}}" }
 */
import { z } from "zod";
import { fileArgs, oldText, planFileContent, statContent } from "./files";
import { asStat } from "./results";
import type { Module } from "./types";

const regex = z.string().refine((r) => {
  try {
    new RegExp(r);
    return true;
  } catch {
    return false;
  }
}, "expected a valid regular expression");

const args = z
  .object({
    path: z.string().startsWith("/", { message: "expected an absolute path" }),
    line: z.string().optional(),
    regexp: regex.optional(),
    state: z.enum(["present", "absent"]).default("present"),
    insertafter: z.string().optional(),
    insertbefore: z.string().optional(),
    create: z.boolean().default(false),
    ...fileArgs,
  })
  .strict()
  .refine((a) => a.state === "absent" || a.line !== undefined, { message: "state: present needs line", path: ["line"] })
  .refine((a) => a.line !== undefined || a.regexp !== undefined, { message: "expected line or regexp", path: ["line"] });
type Args = z.output<typeof args>;

/** The file's new text (pure: tested directly). */
export function editLines(text: string, a: Pick<Args, "line" | "regexp" | "state" | "insertafter" | "insertbefore">): string {
  const hadNewline = text === "" || text.endsWith("\n");
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const re = a.regexp !== undefined ? new RegExp(a.regexp) : undefined;
  const matches = (l: string) => (re ? re.test(l) : l === a.line);
  if (a.state === "absent") {
    const kept = lines.filter((l) => !matches(l));
    return kept.length ? kept.join("\n") + (hadNewline ? "\n" : "") : "";
  }
  const line = a.line!;
  let idx = -1;
  lines.forEach((l, i) => {
    if (matches(l)) idx = i;
  });
  if (idx >= 0) lines[idx] = line;
  else if (!lines.includes(line)) {
    let at = lines.length;
    if (a.insertbefore === "BOF") at = 0;
    else if (a.insertbefore) {
      const r = new RegExp(a.insertbefore);
      const i = lines.findIndex((l) => r.test(l));
      if (i >= 0) at = i;
    } else if (a.insertafter && a.insertafter !== "EOF") {
      const r = new RegExp(a.insertafter);
      let i = -1;
      lines.forEach((l, j) => {
        if (r.test(l)) i = j;
      });
      if (i >= 0) at = i + 1;
    }
    lines.splice(at, 0, line);
  }
  return lines.join("\n") + "\n";
}

export const lineinfile: Module<Args> = {
  name: "lineinfile",
  doc: "ensure a line is present (replacing the last regexp match) or absent in a file",
  args,
  probe: (a) => [statContent(a.path)],
  plan(a, [r], ctx) {
    const st = asStat(r, `stat ${a.path}`);
    if (!st.exists && !a.create) {
      if (a.state === "absent") return { status: "ok", msg: "nothing to do (no file)" };
      return { status: "failed", msg: `${a.path} does not exist (set create: true to make it)` };
    }
    if (st.exists && st.content === undefined && st.type === "file") return { status: "failed", msg: `${a.path} is larger than 1 MiB; lineinfile edits small files only` };
    const next = editLines(oldText(st), a);
    return planFileContent(a.path, next, a, st, ctx);
  },
};
