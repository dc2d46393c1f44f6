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
import { absPath, asSh, keyValues, masked } from "./results";
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

/** what supervisorctl prints for a program it manages */
const SUPERVISOR_STATES = /^\S+\s+(RUNNING|STARTING|STOPPED|STOPPING|BACKOFF|EXITED|FATAL|UNKNOWN)\b/;

function supervisorctl(a: Args): string {
  return a.config ? `supervisorctl -c ${shq(a.config)}` : "supervisorctl";
}

function probeScript(a: Args, ctx: TaskContext): string {
  const n = shq(a.name);
  const lines: string[] = [];
  if (a.backend !== "systemd") lines.push(`s=$(${supervisorctl(a)} status ${n} 2>&1); echo "sv_rc=$?"; printf 'sv=%s\\n' "$(printf '%s' "$s" | head -n 1)"`);
  if (a.backend !== "supervisord" && ctx.facts.init === "systemd")
    // sd_booted(): PID 1 is systemd (facts) AND this root has /run/systemd/system (a container
    // or lab root sharing the machine's PID 1 does not)
    lines.push(`if [ -d /run/systemd/system ]; then echo sd=yes; echo "sd_active=$(systemctl is-active ${n} 2>/dev/null)"; echo "sd_enabled=$(systemctl is-enabled ${n} 2>/dev/null)"; echo "sd_reload=$(systemctl show -p NeedDaemonReload --value ${n} 2>/dev/null)"; fi`);
  return lines.join("\n") || "true";
}

function planService(a: Args, stdout: string, ctx: TaskContext): Plan {
  const out = keyValues(stdout);
  const svKnows = SUPERVISOR_STATES.test(out.sv ?? "");
  const systemd = ctx.facts.init === "systemd" && out.sd === "yes";
  const backend = a.backend === "auto" ? (svKnows ? "supervisord" : systemd ? "systemd" : "none") : a.backend;
  if (backend === "none")
    return { status: "failed", msg: `no supervisord program "${a.name}" (${(out.sv ?? "").trim() || "no answer"}) and no systemd on this host` };
  if (backend === "systemd" && !systemd) return { status: "failed", msg: "systemd is not running on this host (PID 1 is not systemd, or no /run/systemd/system)" };
  if (backend === "supervisord" && !svKnows)
    return { status: "failed", msg: `supervisord does not manage a program "${a.name}" (${(out.sv ?? "").trim() || "supervisorctl gave no answer"})` };
  const n = shq(a.name);
  const svState = SUPERVISOR_STATES.exec(out.sv ?? "")?.[1];
  const running = backend === "supervisord" ? svState === "RUNNING" || svState === "STARTING" : out.sd_active === "active";
  const ctl = (verb: string) => (backend === "supervisord" ? `${supervisorctl(a)} ${verb} ${n}` : `systemctl ${verb} ${n}`);
  const cmds: string[] = [];
  const what: string[] = [];
  const act = (word: string, cmd: string) => (cmds.push(cmd), what.push(word));
  if (a.state === "started" && !running) act("start", ctl("start"));
  if (a.state === "stopped" && running) act("stop", ctl("stop"));
  // supervisorctl restart of a stopped program says "ERROR (not running)" for the stop half
  // and exits non-zero even when the start works: a stopped program is simply started
  if (a.state === "restarted") act("restart", backend === "supervisord" && !running ? ctl("start") : ctl("restart"));
  if (a.state === "reloaded") act("reload", backend === "supervisord" ? ctl("signal HUP") : ctl("reload"));
  if (a.enabled !== undefined && backend === "systemd" && a.enabled !== (out.sd_enabled === "enabled"))
    act(a.enabled ? "enable" : "disable", ctl(a.enabled ? "enable" : "disable"));
  // a unit file changed since systemd read it (a template task before this one): as Ansible's
  // daemon_reload, systemd re-reads it first, or the start/restart would use the old one
  if (cmds.length && backend === "systemd" && out.sd_reload === "yes") {
    cmds.unshift("systemctl daemon-reload");
    what.unshift("daemon-reload");
  }
  const now = backend === "supervisord" ? svState : out.sd_active || "unknown";
  if (cmds.length === 0) return { status: "ok", msg: `nothing to do (${backend}: ${now}${backend === "systemd" && out.sd_enabled ? `, ${out.sd_enabled}` : ""})` };
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
  probe: (a, ctx) => [{ op: "sh", script: probeScript(a, ctx) }],
  plan: (a, [r], ctx) => masked(planService(a, asSh(r, "service status").stdout, ctx), ctx),
};
