/**
 * The rolling strategy for one play with `serial` (or `max_fail_percentage`): batches one
 * after the other, each batch's hosts in parallel (the executor runs a host's play as always,
 * runner/executor.ts). What Ansible's linear strategy does with serial, plus the balancer:
 *
 *   for each batch:  drain it from the load balancer (balancer: drain)
 *                    run the play on its hosts (tasks, handlers, post_tasks: the health gates)
 *                    restore the hosts that passed; a failed host stays out of rotation
 *                    too many failed (runner/rollout.ts batchStops): stop — later batches are
 *                    not started and keep their old configuration
 *
 * The record says which hosts carry the new configuration (those of completed batches that
 * passed), which batch stopped the rollout, and which hosts were not started.
 */
import type { Reporter, Rollout } from "./events";
import type { InventoryHost } from "./inventory";
import type { Play } from "./playbook";
import type { Balancer } from "./balancer/types";
import { batchStops, planBatches } from "./rollout";

/** the recap's record of a rolling play (runner/events.ts) */
export type RolloutRecord = Rollout;

/** What the strategy needs from the executor (tests give it doubles). */
export interface BatchRunner {
  /** run the play on these hosts, in parallel (forks), and return when all are done */
  runBatch(hosts: InventoryHost[]): Promise<void>;
  /** the host failed or was not reached (in this play or before) */
  failed(host: InventoryHost): boolean;
  interrupted(): boolean;
}

export interface RollOptions {
  check: boolean;
  /** the environment's balancer; undefined: none */
  balancer?: Balancer;
  now?: () => Date;
}

const names = (hs: InventoryHost[]) => hs.map((h) => h.name);

export async function rollPlay(service: string, play: Play, hosts: InventoryHost[], run: BatchRunner, reporter: Reporter, opts: RollOptions): Promise<RolloutRecord> {
  const now = opts.now ?? (() => new Date());
  // hosts that failed in an earlier play are out of this one (as in Ansible)
  const batches = planBatches(hosts.filter((h) => !run.failed(h)), play.serial);
  const rec: RolloutRecord = { service, play: play.name, batches: batches.map(names), updated: [], failed: [], notStarted: [] };
  reporter.emit({ event: "rollout", service, play: play.name, batches: rec.batches, ...(play.maxFailPercentage !== undefined ? { maxFailPercentage: play.maxFailPercentage } : {}), check: opts.check });
  const lb = play.balancer === "drain" ? opts.balancer : undefined;
  if (play.balancer === "drain" && !lb) reporter.emit({ event: "balancer", action: "none", hosts: [], msg: "no load balancer in this environment: batches are not drained" });
  const say = (action: "drain" | "restore" | "kept-out" | "failed", hs: InventoryHost[], msg: string) => reporter.emit({ event: "balancer", action, hosts: names(hs), msg });
  const stop = (k: number, failedHosts: InventoryHost[]) => {
    rec.stoppedAt = k + 1;
    rec.failed.push(...names(failedHosts));
    rec.notStarted = batches.slice(k + 1).flat().map((h) => h.name);
  };
  for (let k = 0; k < batches.length; k++) {
    const batch = batches[k];
    if (run.interrupted()) {
      rec.notStarted = batches.slice(k).flat().map((h) => h.name);
      break;
    }
    reporter.emit({ event: "batch", service, play: play.name, index: k + 1, of: batches.length, hosts: names(batch), state: "started", at: now().toISOString() });
    if (lb && opts.check) say("drain", batch, `--check: would take ${names(batch).join(", ")} out of ${lb.name}`);
    else if (lb) {
      try {
        await lb.drain(batch);
        say("drain", batch, `took ${names(batch).join(", ")} out of ${lb.name}`);
      } catch (e) {
        // nothing changed on these hosts yet: they count with the hosts not started
        say("failed", batch, `could not take ${names(batch).join(", ")} out of ${lb.name}: ${(e as Error).message.split("\n")[0]}`);
        rec.stoppedAt = k + 1;
        rec.notStarted = batches.slice(k).flat().map((h) => h.name);
        reporter.emit({ event: "batch", service, play: play.name, index: k + 1, of: batches.length, hosts: names(batch), state: "failed", failed: [], at: now().toISOString() });
        break;
      }
    }
    await run.runBatch(batch);
    const failedHosts = batch.filter((h) => run.failed(h));
    const passed = batch.filter((h) => !run.failed(h));
    if (lb && !opts.check) {
      if (failedHosts.length) say("kept-out", failedHosts, `${names(failedHosts).join(", ")} stay${failedHosts.length === 1 ? "s" : ""} out of ${lb.name} (failed)`);
      if (passed.length) {
        try {
          await lb.restore(passed);
          say("restore", passed, `put ${names(passed).join(", ")} back into ${lb.name}`);
        } catch (e) {
          say("failed", passed, `could not put ${names(passed).join(", ")} back into ${lb.name}: ${(e as Error).message.split("\n")[0]}`);
          rec.updated.push(...names(passed));
          stop(k, failedHosts);
          reporter.emit({ event: "batch", service, play: play.name, index: k + 1, of: batches.length, hosts: names(batch), state: "failed", failed: names(failedHosts), at: now().toISOString() });
          break;
        }
      }
    }
    rec.updated.push(...names(passed));
    const stops = batchStops(failedHosts.length, batch.length, play.maxFailPercentage);
    reporter.emit({ event: "batch", service, play: play.name, index: k + 1, of: batches.length, hosts: names(batch), state: stops ? "failed" : "done", failed: names(failedHosts), at: now().toISOString() });
    if (stops) {
      stop(k, failedHosts);
      break;
    }
    rec.failed.push(...names(failedHosts));
  }
  return rec;
}

/** Plays in order, as stretches run the same way: consecutive plain plays together, each rolling play alone. */
export function stretches(plays: Play[], rolls: (p: Play) => boolean): { rolling: boolean; plays: number[] }[] {
  const out: { rolling: boolean; plays: number[] }[] = [];
  plays.forEach((p, i) => {
    const rolling = rolls(p);
    const last = out[out.length - 1];
    if (!rolling && last && !last.rolling) last.plays.push(i);
    else out.push({ rolling, plays: [i] });
  });
  return out;
}
