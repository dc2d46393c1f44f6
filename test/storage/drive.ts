/**
 * Runs storage modules against the REAL agent on this machine (runner/agent/client.ts
 * localChannel, as root) the way the executor does: probe → plan → apply → verify, one round
 * trip each. Every batch passes the agent client's secret guard (runner/agent/guard.ts),
 * and every op sent is recorded so tests can assert that a secret only ever travelled on stdin.
 */
import { AgentClient, localChannel } from "../../runner/agent/client";
import type { Op } from "../../runner/agent/protocol";
import { modules } from "../../runner/modules";
import type { HostVars, Module, Plan, PlanStatus, TaskContext } from "../../runner/modules/types";
import { callUnlessEmpty, planTask, prepareTask, probeOps, runTask, type PreparedTask } from "../../runner/task";
import { render } from "../../runner/template";

export interface Outcome {
  status: PlanStatus;
  msg: string;
  diff?: string;
}

interface Filter {
  mask(t: string): string;
  isSecret(t: string): boolean;
}

/** A task probed and planned, not yet applied (tests may change the disk in between). */
export interface Planned extends Plan {
  task: PreparedTask;
  seen: Awaited<ReturnType<AgentClient["call"]>>;
}

export class Driver {
  /** every batch sent to the agent, in order (read from what was written to its stdin) */
  readonly sent: Op[][] = [];
  /** under --check, a task of this "run" reported a would-be change (see runTask's afterChanges) */
  private wouldChange = false;
  private constructor(readonly agent: AgentClient, private readonly filter: Filter) {}

  static async start(secrets: string[] = []): Promise<Driver> {
    const filter: Filter = {
      mask: (t: string) => secrets.reduce((s, x) => s.split(x).join("********"), t),
      isSecret: (t: string) => secrets.some((x) => t.includes(x)),
    };
    const channel = localChannel(false);
    const driver = new Driver(await AgentClient.start("local", channel, filter), filter);
    const write = channel.stdin.write.bind(channel.stdin) as (chunk: unknown, ...rest: unknown[]) => boolean;
    channel.stdin.write = ((chunk: unknown, ...rest: unknown[]) => {
      driver.sent.push((JSON.parse(String(chunk)) as { ops: Op[] }).ops);
      return write(chunk, ...rest);
    }) as typeof channel.stdin.write;
    return driver;
  }

  context(host: HostVars, check = false): TaskContext {
    return {
      host,
      facts: this.agent.facts,
      vars: { host },
      check,
      diff: true,
      become: true,
      render: (s) => render(s, { host }),
      mask: this.filter.mask,
      isSecret: this.filter.isSecret,
      runState: new Map(),
    };
  }

  private prepare(moduleName: string, rawArgs: Record<string, unknown>, host: HostVars, check = false): PreparedTask {
    const module: Module = modules[moduleName];
    return prepareTask(module, module.args.parse(rawArgs), this.context(host, check));
  }

  /** the module's plan for these arguments, without applying it */
  async plan(moduleName: string, rawArgs: Record<string, unknown>, host: HostVars): Promise<Planned> {
    const task = this.prepare(moduleName, rawArgs, host);
    const seen = await callUnlessEmpty(this.agent, probeOps(task));
    return { ...planTask(task, seen), task, seen };
  }

  /** one task, as the executor runs it (runner/task.ts; check mode: plan only) */
  async run(moduleName: string, rawArgs: Record<string, unknown>, host: HostVars, check = false): Promise<Outcome> {
    let task: PreparedTask;
    try {
      task = this.prepare(moduleName, rawArgs, host, check);
    } catch (e) {
      return { status: "failed", msg: (e as Error).message };
    }
    const out = this.outcome(await runTask(this.agent, task, { afterChanges: this.wouldChange }));
    if (check && out.status === "changed") this.wouldChange = true;
    return out;
  }

  /** the next tasks are a new run on the host (forget earlier would-be changes) */
  newRun(): void {
    this.wouldChange = false;
  }

  /** apply what `plan` planned (from the probe results it saw then) */
  async apply(planned: Planned): Promise<Outcome> {
    return this.outcome(await runTask(this.agent, planned.task, { seen: planned.seen }));
  }

  private outcome({ plan, problem }: Awaited<ReturnType<typeof runTask>>): Outcome {
    if (problem) return { status: "failed", msg: problem, diff: plan.diff };
    return { status: plan.status, msg: plan.msg, diff: plan.diff };
  }

  close(): void {
    this.agent.close();
  }
}
