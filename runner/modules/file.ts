/**
 * file — a path's existence, type and attributes.
 *
 * Arguments: path, state (directory | absent | link | touch | file; default file),
 * src (link target, for state: link), owner, group, mode.
 *
 *   - name: notebooks directory
 *     file: { path: /notebooks, state: directory, owner: analyst, group: analyst, mode: "0750" }
 *   - name: no default site
 *     file: { path: /etc/nginx/sites-enabled/default, state: absent }
 *
 * `file` (the default) only fixes attributes of an existing file and fails if it is missing.
 */
import { z } from "zod";
import type { StatResult } from "../agent/protocol";
import { modeArg } from "./files";
import { asStat, normMode, sameMode } from "./results";
import { shq, type Module, type Plan } from "./types";

const args = z
  .object({
    path: z.string().startsWith("/", { message: "expected an absolute path" }),
    state: z.enum(["file", "directory", "absent", "link", "touch"]).default("file"),
    src: z.string().min(1).optional(),
    owner: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    mode: modeArg.optional(),
  })
  .strict()
  .refine((a) => a.state !== "link" || a.src, { message: "state: link needs src (the link's target)", path: ["src"] });
type Args = z.output<typeof args>;

function attrScript(a: Args, st: StatResult | undefined): { script: string; changes: string[] } {
  const cmds: string[] = [];
  const changes: string[] = [];
  const owner = a.owner && (!st || st.owner !== a.owner) ? a.owner : undefined;
  const group = a.group && (!st || st.group !== a.group) ? a.group : undefined;
  if (owner || group) {
    cmds.push(`chown ${shq(`${owner ?? ""}${group ? `:${group}` : ""}`)} ${shq(a.path)}`);
    if (owner) changes.push(`owner → ${owner}`);
    if (group) changes.push(`group → ${group}`);
  }
  if (a.mode && (!st || !sameMode(st.mode, a.mode))) {
    cmds.push(`chmod ${normMode(a.mode)} ${shq(a.path)}`);
    changes.push(`mode → ${normMode(a.mode)}`);
  }
  return { script: cmds.join(" && "), changes };
}

export const file: Module<Args> = {
  name: "file",
  doc: "a path's state (file, directory, absent, link, touch) and owner/group/mode",
  args,
  probe: (a) => [{ op: "stat", path: a.path }],
  plan(a, [r]): Plan {
    const st = asStat(r, `stat ${a.path}`);
    const p = shq(a.path);
    const change = (msg: string, script: string): Plan => ({ status: "changed", msg, apply: [{ op: "sh", script }] });
    switch (a.state) {
      case "absent":
        return st.exists ? change(`remove ${a.path}`, `rm -rf -- ${p}`) : { status: "ok", msg: "nothing to do (absent)" };
      case "link":
        if (st.exists && st.type === "link" && st.target === a.src) return { status: "ok", msg: "nothing to do" };
        if (st.exists && st.type !== "link") return { status: "failed", msg: `${a.path} exists and is a ${st.type}; remove it first (state: absent)` };
        return change(`link ${a.path} → ${a.src}`, `ln -sfn ${shq(a.src!)} ${p}`);
      case "directory": {
        if (st.exists && st.type !== "dir") return { status: "failed", msg: `${a.path} exists and is a ${st.type}, not a directory` };
        const attrs = attrScript(a, st.exists ? st : undefined);
        if (st.exists && !attrs.script) return { status: "ok", msg: "nothing to do" };
        const script = [st.exists ? "" : `mkdir -p -- ${p}`, attrs.script].filter(Boolean).join(" && ");
        return change(st.exists ? `${a.path}: ${attrs.changes.join(", ")}` : `create directory ${a.path}`, script);
      }
      case "touch":
      case "file": {
        if (st.exists && st.type !== "file") return { status: "failed", msg: `${a.path} exists and is a ${st.type}, not a file` };
        if (!st.exists && a.state === "file") return { status: "failed", msg: `${a.path} does not exist (use state: touch to create it)` };
        const attrs = attrScript(a, st.exists ? st : undefined);
        if (st.exists && !attrs.script) return { status: "ok", msg: "nothing to do" };
        const script = [st.exists ? "" : `touch -- ${p}`, attrs.script].filter(Boolean).join(" && ");
        return change(st.exists ? `${a.path}: ${attrs.changes.join(", ")}` : `create ${a.path}`, script);
      }
    }
  },
};
