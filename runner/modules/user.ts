/**
 * user — a (system) user account.
 *
 * Arguments: name, system (default true: a service account without a login password),
 * home, shell (default /usr/sbin/nologin for system users), groups (supplementary, added),
 * create_home (default false), state (present | absent).
 *
 *   - name: analyst owns /notebooks
 *     user: { name: analyst, home: /home/analyst, create_home: true, shell: /bin/bash }
 */
import { z } from "zod";
import { asSh } from "./results";
import { shq, type Module } from "./types";

const args = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "expected a user name"),
    system: z.boolean().default(true),
    home: z.string().startsWith("/").optional(),
    shell: z.string().startsWith("/").optional(),
    groups: z.array(z.string().min(1)).default([]),
    create_home: z.boolean().default(false),
    state: z.enum(["present", "absent"]).default("present"),
  })
  .strict();
type Args = z.output<typeof args>;

export const user: Module<Args> = {
  name: "user",
  doc: "a system user (home, shell, supplementary groups) or its absence",
  args,
  probe: (a) => [{ op: "sh", script: `getent passwd ${shq(a.name)}; echo "--"; id -nG ${shq(a.name)} 2>/dev/null; true` }],
  plan(a, [r]) {
    const [pw, groupsLine = ""] = asSh(r, "getent").stdout.split("--\n");
    const exists = pw.trim() !== "";
    if (a.state === "absent")
      return exists ? { status: "changed", msg: `remove user ${a.name}`, apply: [{ op: "sh", script: `userdel ${shq(a.name)}` }] } : { status: "ok", msg: "nothing to do" };
    const shell = a.shell ?? (a.system ? "/usr/sbin/nologin" : "/bin/bash");
    if (!exists) {
      const opts = [a.system ? "--system" : "", "--user-group", a.home ? `--home-dir ${shq(a.home)}` : "", a.create_home ? "--create-home" : "--no-create-home", `--shell ${shq(shell)}`, a.groups.length ? `--groups ${shq(a.groups.join(","))}` : ""];
      return { status: "changed", msg: `create user ${a.name}`, apply: [{ op: "sh", script: `useradd ${opts.filter(Boolean).join(" ")} ${shq(a.name)}` }] };
    }
    const f = pw.trim().split(":");
    const have = new Set(groupsLine.trim().split(/\s+/));
    const changes: string[] = [];
    const opts: string[] = [];
    if (a.shell && f[6] !== a.shell) opts.push(`--shell ${shq(a.shell)}`), changes.push(`shell → ${a.shell}`);
    if (a.home && f[5] !== a.home) opts.push(`--home ${shq(a.home)}`), changes.push(`home → ${a.home}`);
    const missing = a.groups.filter((g) => !have.has(g));
    if (missing.length) opts.push(`--append --groups ${shq(missing.join(","))}`), changes.push(`groups + ${missing.join(",")}`);
    if (!opts.length) return { status: "ok", msg: "nothing to do" };
    return { status: "changed", msg: `user ${a.name}: ${changes.join(", ")}`, apply: [{ op: "sh", script: `usermod ${opts.join(" ")} ${shq(a.name)}` }] };
  },
};
