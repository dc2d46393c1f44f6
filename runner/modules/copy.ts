/**
 * copy — write inline `content` (or a file of this project) to `dest` on the host.
 *
 * Arguments:
 *   content   the file's text; `{{ }}` in it is rendered (strict) like every task argument,
 *             by the executor before the module sees it                 one of content/src
 *   src       a file of this project (path relative to its root), sent as is
 *   dest      absolute path on the host                                       required
 *   owner, group, mode ("0640"), validate (command with %s = the temp file), backup,
 *   parents   as for template
 *
 *   - name: sudoers drop-in
 *     copy: { content: "ubuntu ALL=(ALL) NOPASSWD:ALL\n", dest: /etc/sudoers.d/ubuntu, mode: "0440", validate: "visudo -cf %s" }
 *   - name: database password for the app (a vault value: travels inside the write op only)
 *     copy: { content: "{{vault.mongodb.appPassword}}\n", dest: /etc/emission/db.secret, owner: emission, mode: "0600" }
 *
 * Same plan as template: stat with content, sha256 + owner/group/mode compared, ONE atomic
 * `write` op when something differs, a unified diff under --diff (secrets masked).
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { facts } from "../facts";
import { absPath } from "./results";
import { fileArgs, planFileContent, statContent } from "./files";
import type { Module } from "./types";

const PROJECT_ROOT = path.join(__dirname, "..", "..");

function readLocal(src: string): string {
  try {
    return fs.readFileSync(path.resolve(PROJECT_ROOT, src), "utf8");
  } catch {
    throw new Error(`copy: local file ${src} not found`);
  }
}

const args = z
  .object({ content: z.string().optional(), src: z.string().min(1).optional(), dest: absPath, ...fileArgs })
  .strict()
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: "expected exactly one of content or src", path: ["content"] });
type Args = z.output<typeof args>;

export const copy: Module<Args, string> = {
  name: "copy",
  doc: "write inline content (or a project file) to dest (owner, group, mode, validate, backup)",
  args,
  prepare: (a) => a.content ?? readLocal(a.src!), // a missing file fails before anything is sent
  probe: (a) => [statContent(a.dest)],
  plan: (a, [st], ctx, content) => planFileContent(a.dest, content, a, facts.file.read(st, `stat ${a.dest}`), ctx),
};
