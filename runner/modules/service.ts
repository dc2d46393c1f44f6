/**
 * service — start, stop, restart or reload a service under systemd or supervisord.
 *
 * Arguments: name, state (started | stopped | restarted | reloaded), enabled (systemd:
 * start at boot), backend (auto | systemd | supervisord; auto picks supervisord when it
 * manages a program of that name, else systemd when the host runs it).
 *
 *   handlers:
 *     - name: restart emissionpy
 *       service: { name: emissionpy, state: restarted, backend: supervisord }
 *
 * restarted and reloaded always act (they are for handlers); started/stopped say "nothing
 * to do" when the service is already so.
 */
import { z } from "zod";
import { asSh } from "./results";
import { shq, type Module, type Plan } from "./types";

const args = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9@._:-]+$/, "expected a service name"),
    state: z.enum(["started", "stopped", "restarted", "reloaded"]).optional(),
    enabled: z.boolean().optional(),
    backend: z.enum(["auto", "systemd", "supervisord"]).default("auto"),
  })
  .strict()
  .refine((a) => a.state !== undefined || a.enabled !== undefined, { message: "expected state and/or enabled" });
type Args = z.output<typeof args>;

export const service: Module<Args> = {
  name: "service",
  doc: "start/stop/restart/reload a systemd or supervisord service; enable at boot",
  args,
  probe(a) {
    const n = shq(a.name);
    return [
      {
        op: "sh",
        script: `s=$(supervisorctl status ${n} 2>&1); echo "sv_rc=$?"; echo "sv=$s" | head -1
if [ -d /run/systemd/system ]; then echo "sd=yes"; echo "sd_active=$(systemctl is-active ${n} 2>/dev/null)"; echo "sd_enabled=$(systemctl is-enabled ${n} 2>/dev/null)"; else echo "sd=no"; fi`,
      },
    ];
  },
  plan(a, [r]): Plan {
    const out = Object.fromEntries(
      asSh(r, "service status")
        .stdout.split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const svKnows = out.sv_rc !== undefined && /^\S+\s+(RUNNING|STOPPED|STARTING|BACKOFF|EXITED|FATAL|STOPPING)/.test(out.sv ?? "");
    const backend = a.backend === "auto" ? (svKnows ? "supervisord" : out.sd === "yes" ? "systemd" : "none") : a.backend;
    if (backend === "none") return { status: "failed", msg: `no supervisord program and no systemd here to manage "${a.name}"` };
    if (backend === "systemd" && out.sd !== "yes") return { status: "failed", msg: "systemd is not running on this host" };
    if (backend === "supervisord" && !svKnows) return { status: "failed", msg: `supervisord does not manage a program "${a.name}" (${(out.sv ?? "").trim() || "supervisorctl gave no answer"})` };
    const n = shq(a.name);
    const running = backend === "supervisord" ? /RUNNING|STARTING/.test(out.sv) : out.sd_active === "active";
    const cmds: string[] = [];
    const what: string[] = [];
    const ctl = (verb: string) => (backend === "supervisord" ? `supervisorctl ${verb} ${n}` : `systemctl ${verb} ${n}`);
    if (a.state === "started" && !running) cmds.push(ctl("start")), what.push("start");
    if (a.state === "stopped" && running) cmds.push(ctl("stop")), what.push("stop");
    if (a.state === "restarted") cmds.push(ctl("restart")), what.push("restart");
    if (a.state === "reloaded")
      cmds.push(backend === "supervisord" ? `supervisorctl signal HUP ${n}` : `systemctl reload ${n}`), what.push("reload");
    if (a.enabled !== undefined && backend === "systemd") {
      const isEnabled = out.sd_enabled === "enabled";
      if (a.enabled !== isEnabled) cmds.push(`systemctl ${a.enabled ? "enable" : "disable"} ${n}`), what.push(a.enabled ? "enable" : "disable");
    }
    if (cmds.length === 0) return { status: "ok", msg: `nothing to do (${backend}: ${running ? "running" : "stopped"})` };
    return {
      status: "changed",
      msg: `${what.join(" + ")} ${a.name} (${backend})`,
      apply: [{ op: "sh", script: cmds.join(" && ") }],
      // supervisorctl exits 0 even when a start fails on some versions: check its words too
      verify: (res) => {
        const x = res[0] as any;
        if (!x?.ok) return x?.error ?? "no result";
        if (x.rc !== 0 || /ERROR|FATAL|spawn error/i.test(x.stdout ?? "")) return `${what.join(" + ")} ${a.name} failed: ${(x.stdout + x.stderr).trim().split("\n").slice(-2).join(" | ")}`;
        return undefined;
      },
    };
  },
};
