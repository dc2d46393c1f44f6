/**
 * template — render templates/<src> (handlebars, strict) and write it to `dest` on the host.
 *
 * Arguments:
 *   src       file under templates/ (relative, no `..`)                       required
 *   dest      absolute path on the host                                        required
 *   owner     user owning dest                                                 optional
 *   group     group owning dest                                                optional
 *   mode      octal string, e.g. "0644" (new files default to 0644, existing keep theirs)
 *   validate  command run on the temp file before it replaces dest; `%s` is its path
 *   backup    keep the old file as dest.<timestamp>~ (default false)
 *   parents   create missing parent directories, 0755 (default false)
 *
 *   - name: mongod.conf
 *     template: { src: mongod.conf.hbs, dest: /etc/mongod.conf, mode: "0644", validate: "mongod --config %s --outputConfig" }
 *     notify: restart mongod
 *
 * Probe: one stat of dest with its content. Nothing to do when the rendered bytes (sha256)
 * and owner/group/mode already match. Otherwise ONE `write` op: the agent writes a temp file
 * in the same directory, fsyncs, validates, renames — the content never goes through a
 * shell. An unknown variable fails the task before anything is sent (names template, line
 * and variable).
 */
import { z } from "zod";
import { facts } from "../facts";
import { absPath } from "./results";
import { fileArgs, planFileContent, statContent } from "./files";
import type { Module } from "./types";

const args = z
  .object({
    src: z
      .string()
      .min(1)
      .refine((s) => !s.startsWith("/") && !s.split("/").includes(".."), { message: "expected a path under templates/ (relative, without ..)" }),
    dest: absPath,
    ...fileArgs,
  })
  .strict();
type Args = z.output<typeof args>;

/** rendered once per host and task in `prepare`: a bad template fails before the batch */
export const template: Module<Args, string> = {
  name: "template",
  doc: "render templates/<src> to dest (owner, group, mode, validate, backup, parents)",
  args,
  prepare: (a, ctx) => ctx.render({ file: a.src }),
  probe: (a) => [statContent(a.dest)],
  plan: (a, [st], ctx, content) => planFileContent(a.dest, content, a, facts.file.read(st, `stat ${a.dest}`), ctx),
};
