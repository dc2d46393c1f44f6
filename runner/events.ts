/**
 * What a run reports, as events. The human reporter prints them as progress lines and a
 * recap table; `--json` prints each as one JSON line. Messages and diffs are masked before
 * they become events, so no reporter can leak a secret.
 */
export type Status = "ok" | "changed" | "failed" | "skipped" | "unreachable";

export type RunEvent =
  | { event: "start"; env: string; command: string; services: string[]; check: boolean; diff: boolean; hosts: string[] }
  | { event: "play"; service: string; play: string; hosts: string[] }
  | { event: "connect"; host: string; seconds: number }
  | {
      event: "task";
      host: string;
      service: string;
      play: string;
      task: string;
      module: string;
      handler: boolean;
      status: Status;
      msg: string;
      diff?: string;
      seconds: number;
    }
  | { event: "unreachable"; host: string; msg: string }
  /** the host lock (runner/lock.ts): refused (another run holds it: not reached), waiting, took over a killed run's */
  | { event: "lock"; host: string; state: "refused" | "waiting" | "took-over"; msg: string }
  | { event: "interrupted"; msg: string }
  /** a rolling play (serial): its batches, before the first starts (also under --check) */
  | { event: "rollout"; service: string; play: string; batches: string[][]; maxFailPercentage?: number; check: boolean }
  /** a batch's start and end (ISO time on the controller); failed: its failed hosts */
  | { event: "batch"; service: string; play: string; index: number; of: number; hosts: string[]; state: "started" | "done" | "failed"; failed?: string[]; at: string }
  /** the load balancer around a batch (runner/balancer/) */
  | { event: "balancer"; action: "drain" | "restore" | "kept-out" | "failed" | "none"; hosts: string[]; msg: string }
  | {
      event: "recap";
      hosts: Record<string, Counts>;
      seconds: number;
      /** rolling plays: which hosts carry the new configuration, where a rollout stopped */
      rollouts?: Rollout[];
      /** hosts of batches after a stopped rollout: nothing was run on them by that play */
      notStarted?: string[];
    };

/** A rolling play's outcome, as the recap shows it */
export interface Rollout {
  service: string;
  play: string;
  batches: string[][];
  /** hosts whose batch completed and passed: they carry the new configuration */
  updated: string[];
  /** hosts that failed (a task, a health gate) or were not reached */
  failed: string[];
  /** hosts of the batches after the one that stopped the rollout: untouched */
  notStarted: string[];
  /** 1-based batch that stopped the rollout; undefined: it ran to the end */
  stoppedAt?: number;
}

export interface Counts {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
}

export interface Reporter {
  emit(e: RunEvent): void;
}

export function emptyCounts(): Counts {
  return { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 };
}

/** The run's exit code from the recap (README.md "Exit codes"): 4 unreachable over 2 failed over 0. */
export function exitCodeFor(counts: Map<string, Counts>): number {
  let failed = false;
  for (const c of counts.values()) {
    if (c.unreachable) return 4;
    if (c.failed) failed = true;
  }
  return failed ? 2 : 0;
}
