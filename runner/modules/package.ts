/**
 * package — Debian/Ubuntu (apt) or RHEL-family (dnf/yum) packages; which one comes from the
 * host's facts (facts.pkgManager).
 *
 * Arguments:
 *   name   a package or a list of packages (`name=version` pins a version for apt; only
 *          presence is compared)                                                   required
 *   state  present (default) | absent | latest (upgrade when the host's package lists offer
 *          a newer version than the installed one; the lists are as of the host's last
 *          refresh, or this run's)
 *
 *   - name: base packages
 *     package: { name: [chrony, xfsprogs, cryptsetup-bin] }
 *   - name: no telnet
 *     package: { name: telnet, state: absent }
 *
 * Probe: ONE sh op for all names (`dpkg-query -W` / `rpm -q`; with latest also
 * `apt-cache policy` / `dnf list --upgrades`). Nothing to do when every name is already as
 * asked. Apply: ONE sh op; with apt, `apt-get update` runs at most once per host per run
 * (remembered in ctx.runState), and only when something is installed.
 */
import { z } from "zod";
import { facts } from "../facts";
import { baseName } from "../facts/packages";
import { masked } from "./results";
import { shq, type Module, type TaskContext } from "./types";

const pkgName = z.string().regex(/^[a-z0-9][a-z0-9+._:=~-]*$/i, "expected a package name");
const args = z
  .object({
    name: z.union([pkgName, z.array(pkgName).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
    state: z.enum(["present", "absent", "latest"]).default("present"),
  })
  .strict();
type Args = z.output<typeof args>;

export const APT_UPDATED = "package:apt-updated";
const APT = "apt-get -q -y -o DPkg::Lock::Timeout=300"; // a fresh instance may still be running cloud-init's apt

function applyScript(a: Args, pm: string, todo: string[], ctx: TaskContext): string {
  const list = todo.map(shq).join(" ");
  if (pm !== "apt") return `${pm} ${a.state === "absent" ? "remove" : "install"} -y -q ${list}`;
  if (a.state === "absent") return `${APT} remove ${list}`;
  const update = ctx.runState.get(APT_UPDATED) ? "" : `${APT} update && `;
  if (update && !ctx.check) ctx.runState.set(APT_UPDATED, true);
  return `${update}${APT} install --no-install-recommends ${list}`;
}

export const packageModule: Module<Args> = {
  name: "package",
  doc: "install, upgrade or remove packages (apt, dnf or yum, from facts)",
  args,
  probe: (a, ctx) => [facts.packages.op({ names: a.name, pm: ctx.facts.pkgManager, latest: a.state === "latest" })],
  plan(a, [r], ctx) {
    const pm = ctx.facts.pkgManager;
    if (pm !== "apt" && pm !== "dnf" && pm !== "yum") return { status: "failed", msg: `no supported package manager on this host (found ${pm})` };
    const { installed, upgradable } = facts.packages.read(r, "package query");
    const todo = a.name.filter((n) => {
      const b = baseName(n);
      if (a.state === "absent") return installed.has(b);
      return !installed.has(b) || (a.state === "latest" && upgradable.has(b));
    });
    if (todo.length === 0) return { status: "ok", msg: `nothing to do (${a.state === "absent" ? "not installed" : a.state === "latest" ? "installed, newest" : "installed"})` };
    const verb = a.state === "absent" ? "remove" : todo.every((n) => installed.has(baseName(n))) ? "upgrade" : "install";
    return masked(
      {
        status: "changed",
        msg: `${ctx.check ? `would ${verb}` : verb} ${todo.join(", ")} (${pm})`,
        apply: [{ op: "sh", script: applyScript(a, pm, todo, ctx), timeout: 1800 }],
      },
      ctx,
    );
  },
};
