/**
 * Runs storage modules against the REAL agent on this machine (runner/agent/client.ts
 * localChannel, as root) the way the executor does: probe → plan → apply → verify, one round
 * trip each. Every batch passes the agent client's secret guard (runner/agent/guard.ts),
 * and every op sent is recorded so tests can assert that a secret only ever travelled on stdin.
 */
import { AgentClient, localChannel } from "../../runner/agent/client";
import type { Op, OpResult } from "../../runner/agent/protocol";
import { modules } from "../../runner/modules";
import type { HostVars, Module, PlanStatus, TaskContext } from "../../runner/modules/types";
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

export class Driver {
  /** every batch sent to the agent, in order */
  readonly sent: Op[][] = [];
  private constructor(readonly agent: AgentClient, private readonly filter: Filter) {}

  static async start(secrets: string[] = []): Promise<Driver> {
    const filter: Filter = {
      mask: (t: string) => secrets.reduce((s, x) => s.split(x).join("********"), t),
      isSecret: (t: string) => secrets.some((x) => t.includes(x)),
    };
    return new Driver(await AgentClient.start("local", localChannel(false), filter), filter);
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

  async call(ops: Op[]): Promise<OpResult[]> {
    this.sent.push(ops);
    return this.agent.call(ops);
  }

  /** the module's plan for these arguments, without applying it */
  async plan(moduleName: string, rawArgs: Record<string, unknown>, host: HostVars) {
    const module: Module = modules[moduleName];
    const a = module.args.parse(rawArgs);
    const ctx = this.context(host);
    const seen = await this.call(module.probe(a, ctx));
    return module.plan(a, seen, ctx);
  }

  /** one task, as the executor runs it (check mode: plan only) */
  async run(moduleName: string, rawArgs: Record<string, unknown>, host: HostVars, check = false): Promise<Outcome> {
    let plan;
    try {
      plan = await this.plan(moduleName, rawArgs, host);
    } catch (e) {
      return { status: "failed", msg: (e as Error).message };
    }
    if (plan.status !== "changed" || check) return { status: plan.status, msg: plan.msg, diff: plan.diff };
    return this.apply(plan);
  }

  async apply(plan: Awaited<ReturnType<Driver["plan"]>>): Promise<Outcome> {
    let results: OpResult[];
    try {
      results = await this.call(plan.apply ?? []); // the client's secret guard refuses before sending
    } catch (e) {
      return { status: "failed", msg: (e as Error).message };
    }
    const problem = plan.verify ? plan.verify(results) : results.find((r) => !r.ok || ("rc" in r && r.rc !== 0)) && "an apply op failed";
    return problem ? { status: "failed", msg: this.filter.mask(problem), diff: plan.diff } : { status: "changed", msg: plan.msg, diff: plan.diff };
  }

  close(): void {
    this.agent.close();
  }
}
