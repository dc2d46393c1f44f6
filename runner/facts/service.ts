/**
 * A service's state under supervisord (supervisorctl status) and systemd (is-active,
 * is-enabled; only where this root really runs under systemd: /run/systemd/system).
 */
import { shq } from "../modules/types";
import { keyValues, shAnswer } from "./parse";
import type { Reader } from "./types";

export interface ServiceState {
  /** supervisorctl's first status line for the program ("" when not asked) */
  supervisorLine: string;
  /** the program's supervisord state (RUNNING, STOPPED …) when supervisord manages it */
  supervisorState?: string;
  /** systemd is PID 1 and this root has /run/systemd/system */
  systemd: boolean;
  active?: string;
  enabled?: string;
  /** systemd's NeedDaemonReload: the unit file changed since systemd read it */
  needsReload: boolean;
}

/** what supervisorctl prints for a program it manages */
const SUPERVISOR_STATES = /^\S+\s+(RUNNING|STARTING|STOPPED|STOPPING|BACKOFF|EXITED|FATAL|UNKNOWN)\b/;

export const supervisorctl = (config?: string): string => (config ? `supervisorctl -c ${shq(config)}` : "supervisorctl");

export const service: Reader<{ name: string; supervisord: boolean; systemd: boolean; config?: string }, ServiceState> = {
  name: "service",
  doc: "a service: its supervisord state, and systemd's is-active / is-enabled / NeedDaemonReload",
  native: false,
  op(a) {
    const n = shq(a.name);
    const lines: string[] = [];
    if (a.supervisord) lines.push(`s=$(${supervisorctl(a.config)} status ${n} 2>&1); echo "sv_rc=$?"; printf 'sv=%s\\n' "$(printf '%s' "$s" | head -n 1)"`);
    // sd_booted(): PID 1 is systemd (facts) AND this root has /run/systemd/system (a container
    // or lab root sharing the machine's PID 1 does not)
    if (a.systemd) lines.push(`if [ -d /run/systemd/system ]; then echo sd=yes; echo "sd_active=$(systemctl is-active ${n} 2>/dev/null)"; echo "sd_enabled=$(systemctl is-enabled ${n} 2>/dev/null)"; echo "sd_reload=$(systemctl show -p NeedDaemonReload --value ${n} 2>/dev/null)"; fi`);
    return { op: "sh", script: lines.join("\n") || "true" };
  },
  read(r, what) {
    const out = keyValues(shAnswer(r, what).stdout);
    const supervisorLine = (out.sv ?? "").trim();
    return { supervisorLine, supervisorState: SUPERVISOR_STATES.exec(supervisorLine)?.[1], systemd: out.sd === "yes", active: out.sd_active, enabled: out.sd_enabled, needsReload: out.sd_reload === "yes" };
  },
};
