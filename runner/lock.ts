/**
 * Host locks (issue 16): two deploys of the same hosts at once lose writes (both read the
 * crontab, both install their own) and restart services between each other's changes. So a
 * run that may change hosts takes a lock on each, in the agent's first round trip (before
 * facts: nothing is read before it is held), held by the agent for the run's lifetime:
 * an flock on /run/multitier/lock (a tmpfs: a reboot clears it, and a killed agent releases
 * it with its process). The file records the holder: operator, controller host, command,
 * start, agent pid. A second run reaching a locked host refuses that host in one line naming
 * the holder and how long it has held the lock (counted "unreachable": not reached, exit 4),
 * or waits up to --wait-lock seconds. A record left by an agent that was killed is taken
 * over and said. `--check` takes no lock and never waits.
 */
import * as os from "os";
import type { AgentClient } from "./agent/client";
import type { Facts, LockHolder, LockOp, LockRecord, LockResult, OpResult } from "./agent/protocol";

/** Where the lock lives on a host; a Connector may say otherwise (local tests: one per "host"). */
export const DEFAULT_LOCK_FILE = "/run/multitier/lock";

/** What a run that takes locks asks for. */
export interface LockRequest {
  holder: LockHolder;
  /** --wait-lock: seconds to wait for a busy host (0: refuse it at once) */
  waitSeconds: number;
}

/** This run, as the lock file of every host it changes will name it. */
export function holderOf(command: string): LockHolder {
  return { user: process.env.SUDO_USER || os.userInfo().username, controller: os.hostname(), command, started: new Date().toISOString() };
}

export function lockOp(file: string, req: LockRequest, wait = 0): LockOp {
  return { op: "lock", path: file, holder: req.holder, wait };
}

/** 45s, 3m05s, 2h01m */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** `alice@ctl-1 ("multitier deploy analysis --env lab", agent pid 4242)` */
export function describeHolder(r: LockRecord | undefined): string {
  if (!r || (!r.user && !r.pid)) return r?.unreadable ? `an unknown run (the lock file holds "${r.unreadable.trim()}")` : "an unknown run (it recorded nothing)";
  const who = `${r.user ?? r.login ?? "?"}@${r.controller ?? "?"}`;
  const what = [r.command ? `"${r.command}"` : undefined, r.pid ? `agent pid ${r.pid}` : undefined].filter(Boolean).join(", ");
  return what ? `${who} (${what})` : who;
}

/** What the executor reports about a host's lock. */
export type LockEvent = { state: "refused" | "waiting" | "took-over"; msg: string };

const asLock = (r: OpResult | undefined): LockResult | { error: string } =>
  !r ? { error: "no answer" } : r.ok ? (r as unknown as LockResult) : { error: r.error };

/**
 * Hold the host's lock, from the answer to the lock op the agent's first round trip carried
 * (`first`). Busy with --wait-lock: one more round trip that waits on the host, and the facts
 * gathered again once the lock is held. True when the lock is held; else `say` got the one
 * line that explains why the host is left alone.
 */
export async function holdLock(agent: AgentClient, file: string, req: LockRequest, first: OpResult | undefined, say: (e: LockEvent) => void): Promise<boolean> {
  let r = asLock(first);
  if (!("error" in r) && !r.acquired && req.waitSeconds > 0) {
    say({ state: "waiting", msg: `waiting up to ${duration(req.waitSeconds)} for the lock held by ${describeHolder(r.holder)} for ${duration(r.heldFor ?? 0)}` });
    const [again, facts] = await agent.call([lockOp(file, req, req.waitSeconds), { op: "facts" }]);
    r = asLock(again);
    if (!("error" in r) && r.acquired && facts.ok) agent.facts = facts as unknown as Facts;
  }
  if ("error" in r) {
    say({ state: "refused", msg: `cannot take the host lock ${file}: ${r.error}; nothing changed on this host` });
    return false;
  }
  if (!r.acquired) {
    const waited = req.waitSeconds > 0 ? ` (still held after waiting ${duration(req.waitSeconds)})` : " (--wait-lock <seconds> waits for it)";
    say({ state: "refused", msg: `held by ${describeHolder(r.holder)} for ${duration(r.heldFor ?? 0)}; nothing changed on this host${waited}` });
    return false;
  }
  if (r.tookOver) {
    const since = typeof r.tookOver.since === "number" ? ` since ${new Date(r.tookOver.since * 1000).toISOString()}` : "";
    say({ state: "took-over", msg: `took over the lock left by ${describeHolder(r.tookOver)}${since}: its agent ended without releasing it (killed)` });
  }
  return true;
}
