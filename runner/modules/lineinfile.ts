/**
 * lineinfile — make sure one line is in a file (or not), leaving the rest alone.
 *
 * Arguments:
 *   path          absolute path                                                  required
 *   line          the line (state: present); one line, no newline
 *   regexp        JavaScript regexp: present → the LAST matching line is replaced by `line`;
 *                 absent → every matching line is removed (without regexp: lines equal to `line`)
 *   state         present (default) | absent
 *   insertafter   EOF (default) or a regexp: a new line goes after its last match (EOF when none)
 *   insertbefore  BOF or a regexp: a new line goes before its first match (EOF when none)
 *   create        make the file when it is missing (default false: a missing file fails)
 *   owner, group, mode, validate (command with %s = the temp file), backup, parents
 *
 *   - name: the host knows its own name (sudo: unable to resolve host)
 *     lineinfile: { path: /etc/hosts, regexp: '^127\.0\.1\.1\s', line: "127.0.1.1 {{host.name}}" }
 *   - name: no password logins
 *     lineinfile: { path: /etc/ssh/sshd_config, regexp: '^#?PasswordAuthentication', line: "PasswordAuthentication no", validate: "sshd -t -f %s" }
 *
 * The new content is computed here from the probed content (stat with content, files up to
 * 1 MiB) and written with ONE atomic `write` op, like template; a line already present is
 * nothing to do.
 */
import { z } from "zod";
import { fileArgs, oldText, planFileContent, statContent } from "./files";
import { facts } from "../facts";
import { absPath, masked } from "./results";
import type { Module } from "./types";

function validRegex(r: string): boolean {
  try {
    new RegExp(r);
    return true;
  } catch {
    return false;
  }
}

const regex = z.string().refine(validRegex, "expected a valid regular expression");

const args = z
  .object({
    path: absPath,
    line: z
      .string()
      .refine((l) => !l.includes("\n"), { message: "expected one line (no newline)" })
      .optional(),
    regexp: regex.optional(),
    state: z.enum(["present", "absent"]).default("present"),
    insertafter: z
      .string()
      .refine((r) => r !== "BOF", { message: "BOF goes with insertbefore (insertbefore: BOF)" })
      .refine((r) => r === "EOF" || validRegex(r), { message: "expected EOF or a valid regular expression" })
      .optional(),
    insertbefore: z
      .string()
      .refine((r) => r !== "EOF", { message: "EOF goes with insertafter (insertafter: EOF)" })
      .refine((r) => r === "BOF" || validRegex(r), { message: "expected BOF or a valid regular expression" })
      .optional(),
    create: z.boolean().default(false),
    ...fileArgs,
  })
  .strict()
  .refine((a) => a.state === "absent" || a.line !== undefined, { message: "state: present needs line", path: ["line"] })
  .refine((a) => a.line !== undefined || a.regexp !== undefined, { message: "expected line or regexp", path: ["line"] })
  .refine((a) => a.insertafter === undefined || a.insertbefore === undefined, { message: "expected insertafter or insertbefore, not both", path: ["insertbefore"] });
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
  // already there: leave the text exactly as it is (even a missing final newline)
  if ((idx >= 0 && lines[idx] === line) || (idx < 0 && lines.includes(line))) return text;
  if (idx >= 0) lines[idx] = line;
  else {
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
    const st = facts.file.read(r, `stat ${a.path}`);
    if (!st.exists && a.state === "absent") return { status: "ok", msg: "nothing to do (no file)" };
    if (!st.exists && !a.create) return masked({ status: "failed", msg: `${a.path} does not exist (set create: true to make it)`, pending: `edit ${a.path} after it is created` }, ctx);
    if (st.exists && st.type !== "file") return { status: "failed", msg: `${a.path} exists and is a ${st.type}, not a file` };
    if (st.content === undefined && st.exists) return { status: "failed", msg: `${a.path} is larger than 1 MiB; lineinfile edits small files only` };
    const next = editLines(oldText(st), a);
    return planFileContent(a.path, next, a, st, ctx);
  },
};
