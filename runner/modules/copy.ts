/**
 * copy — write inline `content` to `dest` (`{{ }}` in it is rendered like a template).
 *
 * Arguments: content (inline) or src (a file of this project, path relative to the
 * project's root, sent as is), dest, owner, group, mode, validate, backup.
 *
 *   - name: sudoers drop-in
 *     copy: { content: "ubuntu ALL=(ALL) NOPASSWD:ALL\n", dest: /etc/sudoers.d/ubuntu, mode: "0440", validate: "visudo -cf %s" }
 */
import { z } from "zod";
import { asStat } from "./results";
import { fileArgs, planFileContent, statContent } from "./files";
import type { Module } from "./types";
import * as fs from "fs";
import * as path from "path";

const PROJECT_ROOT = path.join(__dirname, "..", "..");

function readLocal(src: string): string {
  try {
    return fs.readFileSync(path.resolve(PROJECT_ROOT, src), "utf8");
  } catch {
    throw new Error(`copy: local file ${src} not found`);
  }
}

const args = z
  .object({ content: z.string().optional(), src: z.string().min(1).optional(), dest: z.string().startsWith("/", { message: "expected an absolute path" }), ...fileArgs })
  .strict()
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: "expected exactly one of content or src", path: ["content"] });
type Args = z.output<typeof args>;

export const copy: Module<Args> = {
  name: "copy",
  doc: "write inline content to dest (owner, group, mode, validate, backup)",
  args,
  probe: (a) => [statContent(a.dest)],
  plan: (a, [st], ctx) => planFileContent(a.dest, a.content ?? readLocal(a.src!), a, asStat(st, `stat ${a.dest}`), ctx),
};
