/**
 * Runs plays on hosts. The shape of a run on one host (why it is fast, issue #7):
 *
 *   1 round trip   start the agent over one exec channel + gather facts
 *   1 round trip   the probes of every task of the play, batched
 *   then, per task that has something to do: 1 round trip carrying its apply ops together
 *                  with a fresh probe of the next task; after a change every later task is
 *                  probed afresh (its view may have changed), one round trip each
 *   handlers       at the end of the play, once, if notified by a changed task
 *
 * A converged host therefore costs two round trips per play after connecting, whatever the
 * number of tasks. Hosts run independently, `forks` at a time; a failing host stops only
 * itself. Plays of one playbook run in order on each host; hosts do not wait for each other
 * (services do: `deploy all` runs common.yml on all their hosts, then one service after the
 * other; a play with `serial` rolls through its hosts batch by batch, runner/rolling.ts).
 */
import pLimit from "p-limit";
import { AgentClient, AgentChannel, AgentLostError, agentCommand } from "./agent/client";
import { SecretRefusedError } from "./agent/guard";
import type { Op, OpResult } from "./agent/protocol";
import { emptyCounts, type Counts, type Reporter, type Status } from "./events";
import type { Inventory, InventoryHost } from "./inventory";
import type { TaskContext } from "./modules/types";
import { DEFAULT_LOCK_FILE, holdLock, lockOp } from "./lock";
import type { Connector, RunOptions, SecretFilter } from "./executor-types";
import { jexl, type Play, type Playbook, type Task } from "./playbook";
import { expandLoops, hostsOfPlay, renderName, tagged } from "./selection";
import { callUnlessEmpty, oneLine, parseArgs, prepareTask, probeOps, runTask, type PreparedTask } from "./task";
import { render } from "./template";
import { buildVars } from "./vars";
import { rollPlay, stretches, type RolloutRecord } from "./rolling";

export type { Connector, RunOptions, SecretFilter } from "./executor-types";

/** What the executor knows of an item before any round trip. */
type Prepared = { status: Status; msg: string } | { ready: PreparedTask };

interface HostState {
  agent?: AgentClient;
  failed: boolean;
  unreachable: boolean;
  runState: Map<string, unknown>;
  /** under --check: a task on this host has reported a would-be change */
  wouldChange: boolean;
}

export class Executor {
  readonly counts = new Map<string, Counts>();
  /** rolling plays run so far (serial): batches, updated hosts, where one stopped */
  readonly rollouts: RolloutRecord[] = [];
  private readonly state = new Map<string, HostState>();
  private interrupted = false;
  /** --forks: hosts worked on at once, across the playbooks of a step that run at once (runner/order.ts) */
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    private readonly inv: Inventory,
    private readonly connector: Connector,
    private readonly reporter: Reporter,
    private readonly secrets: SecretFilter,
    private readonly vault: Record<string, unknown>,
    private readonly opts: RunOptions,
  ) {
    this.limit = pLimit(Math.max(1, opts.forks));
  }

  /** Stop starting new tasks; the ones in flight finish (no half-written files). */
  interrupt(): void {
    this.interrupted = true;
  }

  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  /** Total round trips to agents (benchmark figure). */
  roundTrips(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [h, s] of this.state) out[h] = s.agent?.roundTrips ?? 0;
    return out;
  }

  /**
   * Apply the plays of `book` to `hosts` (already limited). Consecutive plays without `serial`
   * run as one stretch: each host goes through them on its own, hosts in parallel. A play with
   * `serial` (runner/rolling.ts) runs batch by batch; a rollout that stops ends this playbook.
   */
  async runPlaybook(book: Playbook, hosts: InventoryHost[], service = book.service): Promise<void> {
    const playHosts = book.plays.map((play) => hostsOfPlay(this.inv, play, hosts));
    book.plays.forEach((play, i) => this.reporter.emit({ event: "play", service, play: play.name, hosts: playHosts[i].map((h) => h.name) }));
    const runPlays = (host: InventoryHost, idx: number[]) => async () => {
      for (const i of idx) {
        if (this.interrupted) return;
        if (!playHosts[i].includes(host)) continue;
        const agent = await this.connect(host, book.plays);
        if (!agent) return;
        await this.runPlay(service, book.plays[i], host, agent);
        if (this.hostState(host).failed || this.hostState(host).unreachable) return;
      }
    };
    for (const part of stretches(book.plays, (p) => this.rolls(p))) {
      if (this.interrupted) return;
      if (part.rolling && playHosts[part.plays[0]].length) {
        const i = part.plays[0];
        const rec = await rollPlay(service, book.plays[i], playHosts[i], {
          runBatch: (batch) => Promise.all(batch.map((h) => this.limit(runPlays(h, [i])))).then(() => undefined),
          failed: (h) => this.hostState(h).failed || this.hostState(h).unreachable,
          interrupted: () => this.interrupted,
        }, this.reporter, { check: this.opts.check, balancer: this.opts.balancer });
        this.rollouts.push(rec);
        if (rec.stoppedAt) return; // as Ansible: the playbook ends with its rollout
      } else if (!part.rolling) {
        const targets = hosts.filter((h) => part.plays.some((i) => playHosts[i].includes(h)));
        await Promise.all(targets.map((h) => this.limit(runPlays(h, part.plays))));
      }
    }
  }

  /** A play rolls when it has serial or max_fail_percentage and selects a task (restart runs only some). */
  private rolls(play: Play): boolean {
    if (play.serial === undefined && play.maxFailPercentage === undefined) return false;
    return [...play.tasks, ...(play.postTasks ?? [])].some((t) => tagged(this.opts, play, t));
  }

  async close(): Promise<void> {
    // each agent ended (its lock released) before the run returns
    await Promise.all([...this.state.values()].map((s) => s.agent?.close()));
    await this.connector.close();
  }

  private hostState(host: InventoryHost): HostState {
    let s = this.state.get(host.name);
    if (!s) {
      s = { failed: false, unreachable: false, runState: new Map(), wouldChange: false };
      this.state.set(host.name, s);
      this.counts.set(host.name, emptyCounts());
    }
    return s;
  }

  private count(host: string, status: Status): void {
    this.counts.get(host)![status]++;
  }

  private async connect(host: InventoryHost, plays: Play[]): Promise<AgentClient | undefined> {
    const s = this.hostState(host);
    if (s.unreachable || s.failed) return undefined;
    if (s.agent) return s.agent;
    const t0 = Date.now();
    // root when any play becomes; tasks with `become: false` then run as the login user
    const become = plays.some((p) => p.become || [...p.tasks, ...(p.postTasks ?? [])].some((t) => t.become));
    const lock = this.opts.lock;
    const lockFile = this.connector.lockFile?.(host) ?? DEFAULT_LOCK_FILE;
    try {
      const channel = await this.connector.open(host, agentCommand(become));
      s.agent = await AgentClient.start(host.name, channel, this.secrets, lock ? [lockOp(lockFile, lock)] : []);
      const say = (e: { state: "refused" | "waiting" | "took-over"; msg: string }) => this.reporter.emit({ event: "lock", host: host.name, ...e, msg: this.secrets.mask(e.msg) });
      if (lock && !(await holdLock(s.agent, lockFile, lock, s.agent.started[0], say))) {
        // not reached: counted with the unreachable hosts (exit 4), the agent ends now
        s.unreachable = true;
        this.count(host.name, "unreachable");
        await s.agent.close();
        return undefined;
      }
    } catch (e) {
      s.unreachable = true;
      this.count(host.name, "unreachable");
      this.reporter.emit({ event: "unreachable", host: host.name, msg: this.secrets.mask(oneLine(e)) });
      return undefined;
    }
    this.reporter.emit({ event: "connect", host: host.name, seconds: (Date.now() - t0) / 1000 });
    return s.agent;
  }

  private async runPlay(service: string, play: Play, host: InventoryHost, agent: AgentClient): Promise<void> {
    const s = this.hostState(host);
    let selected: Task[];
    try {
      selected = expandLoops(
        play.tasks.filter((t) => tagged(this.opts, play, t)),
        (t) => this.context(play, t, host, agent, s).vars,
      );
    } catch (e) {
      this.taskEvent(host, service, play, play.tasks[0], false, "failed", oneLine(e), undefined, Date.now());
      return this.fail(s);
    }
    selected = selected.map((task) => (task.name.includes("{{") ? { ...task, name: renderName(task.name, this.context(play, task, host, agent, s).vars) } : task));
    const notified = await this.runSequence(service, play, selected, false, host, agent, s);
    if (s.failed || s.unreachable || this.interrupted) return;
    // handlers: once each, in the order the play lists them, batched like tasks
    await this.runSequence(service, play, play.handlers.filter((h) => notified.has(h.name)), true, host, agent, s);
    if (s.failed || s.unreachable || this.interrupted || !play.postTasks?.length) return;
    // post_tasks (health gates) after the handlers, then the handlers they notified (as Ansible)
    let post: Task[];
    try {
      post = expandLoops(play.postTasks.filter((t) => tagged(this.opts, play, t)), (t) => this.context(play, t, host, agent, s).vars);
    } catch (e) {
      this.taskEvent(host, service, play, play.postTasks[0], false, "failed", oneLine(e), undefined, Date.now());
      return this.fail(s);
    }
    const again = await this.runSequence(service, play, post, false, host, agent, s);
    if (s.failed || s.unreachable || this.interrupted) return;
    await this.runSequence(service, play, play.handlers.filter((h) => again.has(h.name)), true, host, agent, s);
  }

  /**
   * Run `items` — a play's tasks, or its notified handlers — on one host. `when` and arguments
   * are decided locally; the probes of all items go in one round trip; each change is applied
   * together with a fresh probe of the next item (an earlier change may alter what it looks
   * at). Stops at the first failure (s.failed). Returns the handler names that changed items
   * notified (in --check too: a would-be change notifies).
   */
  private async runSequence(service: string, play: Play, items: Task[], handler: boolean, host: InventoryHost, agent: AgentClient, s: HostState): Promise<Set<string>> {
    const notified = new Set<string>();
    if (!items.length) return notified;
    // one record per item, decided locally (no round trip): `when`, arguments, prepare
    const records: Prepared[] = items.map((task) => this.prepareItem(play, task, host, agent, s));
    const ready = (i: number) => ("ready" in records[i] ? (records[i] as { ready: PreparedTask }).ready : undefined);
    // a health gate is probed at its turn (after the changes before it), never ahead of them
    const opsOf = (i: number): Op[] => {
      const t = ready(i);
      return t && !t.module.gate ? probeOps(t) : [];
    };
    // an item that already failed stops the host there: probe nothing after it
    const firstFailed = records.findIndex((r) => "status" in r && r.status === "failed");
    const upTo = firstFailed < 0 ? items.length : firstFailed;
    let probes: Map<number, OpResult[]>;
    try {
      probes = await this.batchProbes(agent, items.map((_, i) => i).filter((i) => i < upTo), opsOf);
    } catch (e) {
      // the guard refused the batch: probe item by item below, so the one at fault fails by name
      if (e instanceof SecretRefusedError) probes = new Map();
      else if (!(e instanceof AgentLostError)) throw e;
      else {
        this.lostDuring(host, service, play, items[0], e, Date.now(), handler);
        return notified;
      }
    }
    for (let i = 0; i < items.length; i++) {
      if (this.interrupted) return notified;
      const task = items[i];
      const t0 = Date.now();
      const done = (status: Status, msg: string, diff?: string) => this.taskEvent(host, service, play, task, handler, status, msg, diff, t0);
      // the host stops at a failed item: callers read s.failed / s.unreachable, not the return
      const failed = (msg: string, diff?: string) => {
        done("failed", msg, diff);
        this.fail(s);
        return notified;
      };
      const record = records[i];
      if ("status" in record) {
        if (record.status === "failed") return failed(record.msg);
        done(record.status, record.msg);
        continue;
      }
      // apply together with the next item's probe (every later one is stale after a change)
      const next = records.findIndex((r, j) => j > i && "ready" in r);
      let out;
      try {
        out = await runTask(agent, record.ready, {
          seen: record.ready.module.gate ? undefined : probes.get(i),
          alsoProbe: next >= 0 ? opsOf(next) : [],
          afterChanges: s.wouldChange,
          dial: this.connector.dial ? (a, p) => this.connector.dial!(a, p) : undefined,
        });
      } catch (e) {
        if (!(e instanceof AgentLostError)) return failed(oneLine(e));
        this.lostDuring(host, service, play, task, e, t0, handler);
        return notified;
      }
      if (out.next) probes = new Map(next >= 0 ? [[next, out.next]] : []);
      const plan = out.plan;
      const diff = this.opts.diff && plan.diff ? plan.diff : undefined;
      if (plan.status === "failed" || out.problem) return failed(out.problem ?? plan.msg, diff);
      done(plan.status, checkWording(plan.msg, plan.status === "changed" && record.ready.ctx.check), diff);
      if (plan.status === "changed" && record.ready.ctx.check) s.wouldChange = true;
      if (plan.status === "changed") task.notify.forEach((n) => notified.add(n)); // in --check too: a would-be change notifies
    }
    return notified;
  }

  /** An item decided locally: skipped by `when`, failed (bad argument, template), or ready to run. */
  private prepareItem(play: Play, task: Task, host: InventoryHost, agent: AgentClient, s: HostState): Prepared {
    const ctx = this.context(play, task, host, agent, s);
    try {
      if (task.when !== undefined && !jexl.evalSync(task.when, ctx.vars)) return { status: "skipped", msg: `when: ${task.when}` };
      return { ready: prepareTask(task.module, parseArgs(task.module, task.args, ctx.vars, { ...task.where }), ctx) };
    } catch (e) {
      return { status: "failed", msg: oneLine(e) };
    }
  }

  private fail(s: HostState): void {
    s.failed = true;
  }

  /**
   * The connection went away during a task (sshd killed, link down, bastion gone): the host
   * is unreachable from here on, as Ansible reports it; what was in flight is either done or
   * not (file writes are atomic), and the next run picks up from the host's real state.
   */
  private lostDuring(host: InventoryHost, service: string, play: Play, task: Task | undefined, e: unknown, t0: number, handler = false): void {
    const s = this.hostState(host);
    s.unreachable = true;
    const msg = `connection lost during ${handler ? "handler" : "task"} "${task?.name ?? "?"}" (${service}: ${play.name}): ${oneLine(e).replace(/^\S+: /, "")}`;
    if (task) this.taskEvent(host, service, play, task, handler, "unreachable", this.secrets.mask(msg), undefined, t0);
    else {
      this.count(host.name, "unreachable");
      this.reporter.emit({ event: "unreachable", host: host.name, msg: this.secrets.mask(msg) });
    }
  }

  private taskEvent(host: InventoryHost, service: string, play: Play, task: Task, handler: boolean, status: Status, msg: string, diff: string | undefined, t0: number): void {
    this.count(host.name, status);
    this.reporter.emit({
      event: "task",
      host: host.name,
      service,
      play: play.name,
      task: task.name,
      module: task.moduleName,
      handler,
      status,
      msg: this.secrets.mask(msg),
      ...(diff ? { diff: this.secrets.mask(diff) } : {}),
      seconds: (Date.now() - t0) / 1000,
    });
  }

  private context(play: Play, task: Task, host: InventoryHost, agent: AgentClient, s: HostState): TaskContext {
    const vars = buildVars(this.inv, host, play, task, agent.facts, this.vault);
    const check = task.checkMode ?? this.opts.check;
    return {
      host: vars.host as TaskContext["host"],
      facts: agent.facts,
      vars,
      check,
      diff: this.opts.diff,
      become: task.become ?? play.become,
      render: (src) => render(src, vars),
      mask: (t) => this.secrets.mask(t),
      isSecret: (t) => this.secrets.isSecret(t),
      runState: s.runState,
    };
  }

  private async batchProbes(agent: AgentClient, idx: number[], opsOf: (i: number) => Op[]): Promise<Map<number, OpResult[]>> {
    const ops = idx.map(opsOf);
    return splitResults(idx, ops, await callUnlessEmpty(agent, ops.flat()));
  }
}

function splitResults(idx: number[], ops: Op[][], results: OpResult[]): Map<number, OpResult[]> {
  const out = new Map<number, OpResult[]>();
  let k = 0;
  idx.forEach((i, n) => {
    out.set(i, results.slice(k, k + ops[n].length));
    k += ops[n].length;
  });
  return out;
}

/** Under --check a change is reported as what would happen, once: "would …" as the module says it, else "(check) …". */
function checkWording(msg: string, check: boolean): string {
  return check && !/^would\b/.test(msg) ? `(check) ${msg}` : msg;
}
