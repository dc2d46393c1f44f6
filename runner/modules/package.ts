/**
 * package — Debian/Ubuntu (apt) or RHEL-family (dnf/yum) packages, chosen from the host's
 * facts. One `apt-get update` per host per run, only when something must be installed.
 *
 * Arguments: name (a package or a list), state (present | absent; default present).
 *
 *   - name: base packages
 *     package: { name: [chrony, xfsprogs, cryptsetup] }
 */
import { z } from "zod";
import { asSh } from "./results";
import { shq, type Module } from "./types";

const args = z
  .object({
    name: z.union([z.string().min(1), z.array(z.string().regex(/^[a-z0-9][a-z0-9+.:=~-]*$/i, "expected a package name")).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
    state: z.enum(["present", "absent"]).default("present"),
  })
  .strict();
type Args = z.output<typeof args>;

const APT_UPDATED = "package:apt-updated";

export const packageModule: Module<Args> = {
  name: "package",
  doc: "install or remove packages (apt, dnf, yum from facts)",
  args,
  probe(a, ctx) {
    const names = a.name.map((n) => shq(n.split("=")[0])).join(" ");
    if (ctx.facts.pkgManager === "apt") return [{ op: "sh", script: `dpkg-query -W -f='\${Package} \${db:Status-Status}\\n' ${names} 2>/dev/null; true` }];
    return [{ op: "sh", script: `rpm -q --qf '%{NAME} installed\\n' ${names} 2>/dev/null | grep ' installed$'; true` }];
  },
  plan(a, [r], ctx) {
    const pm = ctx.facts.pkgManager;
    if (pm !== "apt" && pm !== "dnf" && pm !== "yum") return { status: "failed", msg: `no supported package manager on this host (found ${pm})` };
    const installed = new Set(
      asSh(r, "package query")
        .stdout.split("\n")
        .filter((l) => / installed$/.test(l))
        .map((l) => l.split(" ")[0]),
    );
    const base = (n: string) => n.split("=")[0];
    const todo = a.state === "present" ? a.name.filter((n) => !installed.has(base(n))) : a.name.filter((n) => installed.has(base(n)));
    if (todo.length === 0) return { status: "ok", msg: "nothing to do" };
    const list = todo.map(shq).join(" ");
    let script: string;
    if (pm === "apt") {
      const update = a.state === "present" && !ctx.runState.get(APT_UPDATED) ? "apt-get update -q && " : "";
      if (update && !ctx.check) ctx.runState.set(APT_UPDATED, true);
      script = a.state === "present" ? `${update}apt-get install -y -q --no-install-recommends ${list}` : `apt-get remove -y -q ${list}`;
    } else script = `${pm} ${a.state === "present" ? "install" : "remove"} -y -q ${list}`;
    return { status: "changed", msg: `${a.state === "present" ? "install" : "remove"} ${todo.join(", ")}`, apply: [{ op: "sh", script, timeout: 1800 }] };
  },
};
