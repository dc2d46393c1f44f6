/**
 * Shared by the modules that manage a whole file's content (template, copy, lineinfile):
 * compare what the probe saw with the desired bytes and attributes, produce the diff, and
 * plan ONE atomic `write` op (temp file in the same directory, fsync, validate, rename).
 */
import * as crypto from "crypto";
import { z } from "zod";
import { unifiedDiff } from "../unified-diff";
import type { Op, StatResult } from "../agent/protocol";
import { b64, type Plan, type TaskContext } from "./types";
import { masked, normMode, sameMode } from "./results";
import { facts } from "../facts";

/** a YAML 0644 is the number 644 (YAML 1.2): ask for a string, so nobody gets mode 01204 */
export const modeArg = z
  .string({ invalid_type_error: 'expected a quoted octal mode such as "0644"' })
  .regex(/^0?[0-7]{3,4}$/, { message: 'expected an octal mode such as "0644"' });

/** owner/group/mode/validate/backup: the arguments every content module takes */
export const fileArgs = {
  owner: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
  mode: modeArg.optional(),
  /** a command run by the agent on the temp file before it replaces dest; a failure keeps the old file */
  validate: z.string().includes("%s", { message: 'expected a command containing %s (the temp file), e.g. "nginx -t -c %s"' }).optional(),
  backup: z.boolean().default(false),
  /** create missing parent directories of dest (0755) */
  parents: z.boolean().default(false),
};

export interface FileAttrs {
  owner?: string;
  group?: string;
  mode?: string;
  validate?: string;
  backup?: boolean;
  parents?: boolean;
}

/** The probe of a file whose content a module compares (the `file` reader, with content). */
export function statContent(path: string): Op {
  return facts.file.op({ path, content: true });
}

export function oldText(st: StatResult): string {
  return st.exists && st.content !== undefined ? Buffer.from(st.content, "base64").toString("utf8") : "";
}

export function planFileContent(dest: string, content: string, attrs: FileAttrs, st: StatResult, ctx: TaskContext): Plan {
  if (st.exists && st.type !== "file") return { status: "failed", msg: `${dest} exists and is a ${st.type}, not a file` };
  const want = crypto.createHash("sha256").update(content).digest("hex");
  const contentChanged = !st.exists || st.sha256 !== want;
  const attrChanges: string[] = [];
  if (st.exists) {
    if (!sameMode(st.mode, attrs.mode)) attrChanges.push(`mode ${st.mode} → ${normMode(attrs.mode)}`);
    if (attrs.owner && st.owner !== attrs.owner) attrChanges.push(`owner ${st.owner} → ${attrs.owner}`);
    if (attrs.group && st.group !== attrs.group) attrChanges.push(`group ${st.group} → ${attrs.group}`);
  }
  if (!contentChanged && attrChanges.length === 0) return { status: "ok", msg: "nothing to do" };
  let diff: string | undefined;
  if (ctx.diff && contentChanged) {
    // a file over the probe's size limit comes back without content: say so instead of a wrong diff
    const before = st.exists && st.content === undefined ? `(${st.size} bytes, too large to show)\n` : oldText(st);
    diff = unifiedDiff(st.exists ? dest : "/dev/null", dest, before, content, 3);
  }
  const msg = !st.exists
    ? `create ${dest}`
    : contentChanged
      ? `update ${dest}${attrChanges.length ? ` (${attrChanges.join(", ")})` : ""}`
      : `${dest}: ${attrChanges.join(", ")}`;
  const write: Op = {
    op: "write",
    path: dest,
    content: b64(content),
    mode: normMode(attrs.mode),
    owner: attrs.owner,
    group: attrs.group,
    validate: attrs.validate,
    backup: attrs.backup,
    parents: attrs.parents,
  };
  return masked({ status: "changed", msg, diff, apply: [write] }, ctx);
}
