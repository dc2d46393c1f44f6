/**
 * copy — write inline `content` to `dest` (`{{ }}` in it is rendered like a template).
 *
 * Arguments: content, dest, owner, group, mode, validate, backup.
 *
 *   - name: sudoers drop-in
 *     copy: { content: "ubuntu ALL=(ALL) NOPASSWD:ALL\n", dest: /etc/sudoers.d/ubuntu, mode: "0440", validate: "visudo -cf %s" }
 */
import { z } from "zod";
import { asStat } from "./results";
import { fileArgs, planFileContent, statContent } from "./files";
import type { Module } from "./types";

const args = z.object({ content: z.string(), dest: z.string().startsWith("/", { message: "expected an absolute path" }), ...fileArgs }).strict();
type Args = z.output<typeof args>;

export const copy: Module<Args> = {
  name: "copy",
  doc: "write inline content to dest (owner, group, mode, validate, backup)",
  args,
  probe: (a) => [statContent(a.dest)],
  plan: (a, [st], ctx) => planFileContent(a.dest, a.content, a, asStat(st, `stat ${a.dest}`), ctx),
};
