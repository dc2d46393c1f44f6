/**
 * template — render templates/<src> (handlebars, strict) and write it to `dest` on the host.
 *
 * Arguments: src (file under templates/), dest (absolute path), owner, group, mode,
 * validate (command run on the temp file, `%s` = its path, before it replaces dest),
 * backup (keep the old file as dest.<timestamp>~).
 *
 *   - name: mongod.conf
 *     template: { src: mongod.conf.hbs, dest: /etc/mongod.conf, mode: "0644" }
 *     notify: restart mongod
 *
 * Nothing to do when the rendered bytes and attributes already match. An unknown variable
 * fails the task before anything is written (and names template, line and variable).
 */
import { z } from "zod";
import { asStat } from "./results";
import { fileArgs, planFileContent, statContent } from "./files";
import type { Module } from "./types";

const args = z.object({ src: z.string().min(1), dest: z.string().startsWith("/", { message: "expected an absolute path" }), ...fileArgs }).strict();
type Args = z.output<typeof args>;

/** rendered once per host and task (probe renders first, so a bad template fails before the batch) */
const rendered = new WeakMap<object, string>();

export const template: Module<Args> = {
  name: "template",
  doc: "render templates/<src> to dest (owner, group, mode, validate, backup)",
  args,
  probe(a, ctx) {
    rendered.set(a, ctx.render({ file: a.src }));
    return [statContent(a.dest)];
  },
  plan(a, [st], ctx) {
    const content = rendered.get(a) ?? ctx.render({ file: a.src });
    return planFileContent(a.dest, content, a, asStat(st, `stat ${a.dest}`), ctx);
  },
};
