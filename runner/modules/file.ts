/**
 * file — a path's existence, type and attributes.
 *
 * Arguments:
 *   path     absolute path                                                     required
 *   state    file (default: only fix attributes of an existing file) | directory (mkdir -p)
 *            | absent (rm -rf) | link (symlink to src) | touch (create an empty file when
 *            missing; an existing file is left as is, so touch stays idempotent)
 *   src      the link's target, for state: link
 *   owner    user; group; mode (octal string, "0750")
 *   recurse  state: directory only — apply owner/group/mode to everything below path too
 *            (symlinks below get owner/group, never a mode)                     default false
 *
 *   - name: notebooks directory
 *     file: { path: /notebooks, state: directory, owner: analyst, group: analyst, mode: "0750" }
 *   - name: the code belongs to the app user, all of it
 *     file: { path: /code, state: directory, owner: emission, group: emission, recurse: true }
 *   - name: no default site
 *     file: { path: /etc/nginx/sites-enabled/default, state: absent }
 *   - name: site enabled
 *     file: { path: /etc/nginx/sites-enabled/emission, state: link, src: /etc/nginx/sites-available/emission }
 *
 * Probe: one lstat (plus, with recurse, one `find` listing what below differs). Apply: one
 * agent `path` op, done in the agent's process: no mkdir, chown or chmod process per task
 * (with many hosts those processes were most of a first converge's cost), and no shell to
 * quote a path for.
 */
import { z } from "zod";
import type { PathOp, StatResult } from "../agent/protocol";
import { modeArg } from "./files";
import { facts } from "../facts";
import { absPath, masked, normMode, sameMode } from "./results";
import { shq, type Module, type Plan } from "./types";

const args = z
  .object({
    path: absPath,
    state: z.enum(["file", "directory", "absent", "link", "touch"]).default("file"),
    src: z.string().min(1).optional(),
    owner: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    mode: modeArg.optional(),
    recurse: z.boolean().default(false),
  })
  .strict()
  .refine((a) => a.state !== "link" || a.src, { message: "state: link needs src (the link's target)", path: ["src"] })
  .refine((a) => a.state === "link" || !a.src, { message: "src is the target of a link: only with state: link", path: ["src"] })
  .refine((a) => !a.recurse || a.state === "directory", { message: "recurse is only for state: directory", path: ["recurse"] })
  .refine((a) => !a.recurse || a.owner || a.group || a.mode, { message: "recurse needs owner, group or mode", path: ["recurse"] })
  .refine((a) => !(a.state === "absent" && a.path === "/"), { message: "refusing to remove /", path: ["path"] });
type Args = z.output<typeof args>;

/** What below `path` has another owner, group or mode (links: no mode), at most 3 names. */
function recurseProbe(a: Args): string {
  const tests: string[] = [];
  if (a.owner) tests.push(`! -user ${shq(a.owner)}`);
  if (a.group) tests.push(`! -group ${shq(a.group)}`);
  if (a.mode) tests.push(`\\( ! -type l ! -perm ${normMode(a.mode)} \\)`);
  return `[ -d ${shq(a.path)} ] || exit 0; find ${shq(a.path)} -mindepth 1 \\( ${tests.join(" -o ")} \\) -print 2>&1 | head -n 3`;
}

/** What differs in owner/group/mode (the words for the message) and whether to recurse. */
function attrChanges(a: Args, st: StatResult | undefined, below: string[]): { needed: boolean; recurse: boolean; changes: string[] } {
  const changes: string[] = [];
  const recurse = a.recurse && (below.length > 0 || !st);
  if (a.owner && (!st || st.owner !== a.owner)) changes.push(`owner → ${a.owner}`);
  if (a.group && (!st || st.group !== a.group)) changes.push(`group → ${a.group}`);
  if (a.mode && st && !sameMode(st.mode, a.mode)) changes.push(`mode ${st.mode} → ${normMode(a.mode)}`);
  const modeNeeded = a.mode !== undefined && (!st || !sameMode(st.mode, a.mode));
  if (recurse && st) changes.push(`below: ${below.join(", ")}${below.length >= 3 ? " …" : ""}`);
  return { needed: changes.length > 0 || modeNeeded || (recurse && !!(a.owner || a.group || a.mode)), recurse, changes };
}

function planFile(a: Args, results: Parameters<Module["plan"]>[1]): Plan {
  const st = facts.file.read(results[0], `stat ${a.path}`);
  const below = a.recurse ? facts.output.read(results[1], `find ${a.path}`).stdout.split("\n").filter(Boolean) : [];
  const findError = below.find((l) => l.startsWith("find:"));
  if (findError) return { status: "failed", msg: findError };
  const attrs = { owner: a.owner, group: a.group, mode: normMode(a.mode) };
  const change = (msg: string, op: PathOp): Plan => ({ status: "changed", msg, apply: [op] });
  switch (a.state) {
    case "absent":
      return st.exists ? change(`remove ${a.path}${st.type === "dir" ? " (directory, recursively)" : ""}`, { op: "path", path: a.path, state: "absent" }) : { status: "ok", msg: "nothing to do (absent)" };
    case "link":
      if (st.exists && st.type === "link" && st.target === a.src) return { status: "ok", msg: "nothing to do" };
      if (st.exists && st.type !== "link") return { status: "failed", msg: `${a.path} exists and is a ${st.type}; remove it first (state: absent)` };
      return change(st.exists ? `link ${a.path}: ${st.target} → ${a.src}` : `link ${a.path} → ${a.src}`, { op: "path", path: a.path, state: "link", src: a.src });
    case "directory": {
      if (st.exists && st.type !== "dir") return { status: "failed", msg: `${a.path} exists and is a ${st.type}, not a directory` };
      const d = attrChanges(a, st.exists ? st : undefined, below);
      if (st.exists && !d.needed) return { status: "ok", msg: "nothing to do" };
      return change(st.exists ? `${a.path}: ${d.changes.join(", ")}` : `create directory ${a.path}`, { op: "path", path: a.path, state: st.exists ? "attrs" : "directory", ...attrs, recurse: d.recurse });
    }
    case "touch":
    case "file": {
      if (st.exists && st.type !== "file") return { status: "failed", msg: `${a.path} exists and is a ${st.type}, not a file` };
      if (!st.exists && a.state === "file") return { status: "failed", msg: `${a.path} does not exist (use state: touch to create it)`, pending: `set ${a.path}'s attributes after it is created` };
      const d = attrChanges(a, st.exists ? st : undefined, []);
      if (st.exists && !d.needed) return { status: "ok", msg: "nothing to do" };
      return change(st.exists ? `${a.path}: ${d.changes.join(", ")}` : `create ${a.path}`, { op: "path", path: a.path, state: st.exists ? "attrs" : "touch", ...attrs });
    }
  }
}

export const file: Module<Args> = {
  name: "file",
  doc: "a path's state (file, directory, absent, link, touch), owner/group/mode, recurse",
  args,
  probe: (a) => [facts.file.op({ path: a.path }), ...(a.recurse ? [facts.output.op({ script: recurseProbe(a) })] : [])],
  plan: (a, results, ctx) => masked(planFile(a, results), ctx),
};
