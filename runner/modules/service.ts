/**
 * service — start, stop, restart or reload a service under systemd or supervisord.
 *
 * Arguments:
 *   name     the unit (systemd) or program (supervisord; `group:program` works)  required
 *   state    started | stopped | restarted | reloaded
 *   enabled  systemd: start at boot (supervisord programs start with supervisord: set
 *            autostart in the program's config instead)
 *   backend  auto (default: supervisord when it manages a program of that name, else
 *            systemd when PID 1 is systemd — facts.init) | systemd | supervisord
 *   config   supervisord's config file, for `supervisorctl -c` (default: supervisorctl's own
 *            search: /etc/supervisor/supervisord.conf …)
 *   (state and/or enabled is required)
 *
 *   handlers:
 *     - name: restart emissionpy
 *       service: { name: emissionpy, state: restarted, backend: supervisord }
 *   tasks:
 *     - name: nginx running and enabled
 *       service: { name: nginx, state: started, enabled: true }
 *
 * Probe: one sh op (`supervisorctl status <name>`, `systemctl is-active/is-enabled <name>`).
 * started/stopped/enabled say "nothing to do" when the service already is so; restarted and
 * reloaded always act (they are meant for handlers, which run only when notified). A systemd
 * unit whose file changed since systemd read it (NeedDaemonReload) gets `systemctl
 * daemon-reload` before the action.
 * supervisorctl's words are checked after a change too: it may exit 0 on a spawn error.
 */
import { z } from "zod";
import { facts } from "../facts";
import { supervisorctl, type ServiceState } from "../facts/service";
import { absPath, masked } from "./results";
import { shq, type Module, type Plan, type TaskContext } from "./types";

const args = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9@._:-]+$/, "expected a service name"),
    state: z.enum(["started", "stopped", "restarted", "reloaded"]).optional(),
    enabled: z.boolean().optional(),
    backend: z.enum(["auto", "systemd", "supervisord"]).default("auto"),
    config: absPath.optional(),
  })
  .strict()
  .refine((a) => a.state !== undefined || a.enabled !== undefined, { message: "expected state and/or enabled" })
  .refine((a) => !(a.backend === "supervisord" && a.enabled !== undefined), {
    message: "enabled is for systemd; a supervisord program starts with supervisord (autostart in its config)",
    path: ["enabled"],
  })
  .refine((a) => !(a.backend === "systemd" && a.config !== undefined), { message: "config is supervisord's config file: not with backend: systemd", path: ["config"] });
type Args = z.output<typeof args>;

function planService(a: Args, out: ServiceState, ctx: TaskContext): Plan {
  const svKnows = out.supervisorState !== undefined;
  const systemd = ctx.facts.init === "systemd" && out.systemd;
  const backend = a.backend === "auto" ? (svKnows ? "supervisord" : systemd ? "systemd" : "none") : a.backend;
  const verb = { started: "start", stopped: "stop", restarted: "restart", reloaded: "reload" }[a.state ?? "started"];
  const once = `${verb} ${a.name} once supervisord knows it`;
  if (backend === "none")
    return { status: "failed", msg: `no supervisord program "${a.name}" (${out.supervisorLine || "no answer"}) and no systemd on this host`, pending: once };
  if (backend === "systemd" && !systemd) return { status: "failed", msg: "systemd is not running on this host (PID 1 is not systemd, or no /run/systemd/system)" };
  if (backend === "supervisord" && !svKnows)
    return { status: "failed", msg: `supervisord does not manage a program "${a.name}" (${out.supervisorLine || "supervisorctl gave no answer"})`, pending: once };
  const n = shq(a.name);
  const svState = out.supervisorState;
  const running = backend === "supervisord" ? svState === "RUNNING" || svState === "STARTING" : out.active === "active";
  const ctl = (verb: string) => (backend === "supervisord" ? `${supervisorctl(a.config)} ${verb} ${n}` : `systemctl ${verb} ${n}`);
  const cmds: string[] = [];
  const what: string[] = [];
  const act = (word: string, cmd: string) => (cmds.push(cmd), what.push(word));
  if (a.state === "started" && !running) act("start", ctl("start"));
  if (a.state === "stopped" && running) act("stop", ctl("stop"));
  // supervisorctl restart of a stopped program says "ERROR (not running)" for the stop half
  // and exits non-zero even when the start works: a stopped program is simply started
  if (a.state === "restarted") act("restart", backend === "supervisord" && !running ? ctl("start") : ctl("restart"));
  if (a.state === "reloaded") act("reload", backend === "supervisord" ? ctl("signal HUP") : ctl("reload"));
  if (a.enabled !== undefined && backend === "systemd" && a.enabled !== (out.enabled === "enabled"))
    act(a.enabled ? "enable" : "disable", ctl(a.enabled ? "enable" : "disable"));
  // a unit file changed since systemd read it (a template task before this one): as Ansible's
  // daemon_reload, systemd re-reads it first, or the start/restart would use the old one
  if (cmds.length && backend === "systemd" && out.needsReload) {
    cmds.unshift("systemctl daemon-reload");
    what.unshift("daemon-reload");
  }
  const now = backend === "supervisord" ? svState : out.active || "unknown";
  if (cmds.length === 0) return { status: "ok", msg: `nothing to do (${backend}: ${now}${backend === "systemd" && out.enabled ? `, ${out.enabled}` : ""})` };
  const words = what.join(" + ");
  return {
    status: "changed",
    msg: `${ctx.check ? `would ${words}` : words} ${a.name} (${backend})`,
    apply: [{ op: "sh", script: cmds.join(" && ") }],
    verify: (res) => {
      const x = res[0];
      if (!x) return "no result from the host";
      if (!x.ok) return x.error;
      const sh = x as unknown as { rc: number; stdout: string; stderr: string };
      if (sh.rc !== 0 || /ERROR|FATAL|spawn error/i.test(sh.stdout))
        return ctx.mask(`${words} ${a.name} failed: ${(sh.stdout + sh.stderr).trim().split("\n").slice(-2).join(" | ")}`);
      return undefined;
    },
  };
}

export const service: Module<Args> = {
  name: "service",
  doc: "start/stop/restart/reload a systemd or supervisord service; enable at boot",
  args,
  probe: (a, ctx) => [facts.service.op({ name: a.name, config: a.config, supervisord: a.backend !== "systemd", systemd: a.backend !== "supervisord" && ctx.facts.init === "systemd" })],
  plan: (a, [r], ctx) => masked(planService(a, facts.service.read(r, "service status"), ctx), ctx),
};
