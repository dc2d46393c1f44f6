/**
 * Module tests against a real host: this machine, through the REAL agent (runner/agent/agent.py
 * started as a local child process, same protocol as over SSH) working in a temp directory.
 *
 * `host.run(module, args)` runs one task the way the executor does — through the same
 * runner/task.ts (arguments rendered and parsed, prepare, probe, plan, apply unless --check,
 * verify; the agent client's secret guard on every call) — and then probes and plans AGAIN,
 * so every test also sees whether the module is idempotent (`second.status` must be "ok"
 * after a change). `sent` holds every request line written to the agent.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AgentClient, agentCommand, localChannel } from "../../runner/agent/client";
import type { Op, OpResult } from "../../runner/agent/protocol";
import { ArgsError, callUnlessEmpty, parseArgs, planTask, prepareTask, probeOps, runTask, type PreparedTask } from "../../runner/task";
import { Masker } from "../../runner/secrets/mask";
import { render } from "../../runner/template";
import type { Module, Plan, TaskContext } from "../../runner/modules/types";

export interface RunOptions {
  check?: boolean;
  /** the host's declared volumes (storage modules) */
  volumes?: TaskContext["host"]["volumes"];
  diff?: boolean;
  vars?: Record<string, unknown>;
  /** one run's memo (package: apt cache refreshed); default: a fresh one per run */
  runState?: Map<string, unknown>;
}

export interface RunResult {
  plan: Plan;
  /** ops sent by probe() */
  probe: Op[];
  /** results of plan.apply, when it was sent */
  applied?: OpResult[];
  /** what verify (or the default check) said about the apply; undefined = worked */
  problem?: string;
  /** the plan of the same task right after (probe again) — "ok" when the module is idempotent */
  second?: Plan;
}

export interface TestHost {
  agent: AgentClient;
  /** the temp directory every test works in */
  dir: string;
  templates: string;
  secrets: Masker;
  ctx(opts?: RunOptions): TaskContext;
  /** parse raw playbook arguments like the executor does; throws "field: message" */
  parse<A>(mod: Module<A>, raw: unknown, opts?: RunOptions): A;
  /** parse and prepare (a bad template or missing file throws here, before anything is sent) */
  prepare<A, P>(mod: Module<A, P>, raw: unknown, opts?: RunOptions): PreparedTask<A, P>;
  /** every request line written to the agent's stdin (after its start) */
  sent: string[];
  run<A>(mod: Module<A>, raw: unknown, opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** Argument errors the way the executor reports them: `<module>.<path>: <message>`. */
export const ArgError = ArgsError;

/**
 * Start the agent. `wrap` may turn the agent's command into another one that execs it (a
 * private mount namespace for crontab, for instance).
 */
export async function startHost(opts: { wrap?: (command: string) => string; prefix?: string } = {}): Promise<TestHost> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? "mt-mod-"));
  const templates = path.join(dir, "templates");
  fs.mkdirSync(templates);
  const savedTemplates = process.env.MULTITIER_TEMPLATES_DIR;
  process.env.MULTITIER_TEMPLATES_DIR = templates;
  const channel = opts.wrap ? localChannel(false, opts.wrap(agentCommand(false))) : localChannel();
  const secrets = new Masker();
  const agent = await AgentClient.start("local", channel, secrets);
  const sent: string[] = [];
  const write = channel.stdin.write.bind(channel.stdin) as (chunk: unknown, ...rest: unknown[]) => boolean;
  channel.stdin.write = ((chunk: unknown, ...rest: unknown[]) => {
    sent.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof channel.stdin.write;

  const ctx = (o: RunOptions = {}): TaskContext => {
    const vars = { host: { name: "local", tier: "test" }, facts: agent.facts, ...(o.vars ?? {}) };
    return {
      host: { name: "local", tier: "test", privateIp: "127.0.0.1", user: os.userInfo().username, volumes: o.volumes ?? {} },
      facts: agent.facts,
      vars,
      check: o.check ?? false,
      diff: o.diff ?? false,
      become: agent.facts.uid === 0,
      render: (src) => render(src, vars),
      mask: (t) => secrets.mask(t),
      isSecret: (t) => secrets.isSecret(t),
      runState: o.runState ?? new Map(),
    };
  };

  const parse = <A>(mod: Module<A>, raw: unknown, o: RunOptions = {}): A => parseArgs(mod, raw, ctx(o).vars);
  const prepare = <A, P>(mod: Module<A, P>, raw: unknown, o: RunOptions = {}): PreparedTask<A, P> => {
    const c = ctx(o);
    return prepareTask(mod, parseArgs(mod, raw, c.vars), c);
  };

  const run = async <A>(mod: Module<A>, raw: unknown, o: RunOptions = {}): Promise<RunResult> => {
    const t = prepare(mod, raw, o);
    const probe = probeOps(t as PreparedTask);
    const out = await runTask(agent, t as PreparedTask);
    if (out.applied === undefined || out.problem) return { plan: out.plan, probe, applied: out.applied, problem: out.problem };
    // the same task planned again, nothing applied: "ok" when the module is idempotent
    const again = prepare(mod, raw, { ...o, runState: t.ctx.runState }) as PreparedTask;
    return { plan: out.plan, probe, applied: out.applied, second: planTask(again, await callUnlessEmpty(agent, probeOps(again))) };
  };

  return {
    agent,
    dir,
    templates,
    secrets,
    ctx,
    parse,
    prepare,
    sent,
    run,
    async close() {
      agent.close();
      if (savedTemplates === undefined) delete process.env.MULTITIER_TEMPLATES_DIR;
      else process.env.MULTITIER_TEMPLATES_DIR = savedTemplates;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A digest of everything under `dir`: paths, types, modes, owners, link targets, content and
 * mtimes. Equal digests before and after = nothing was touched (what --check must guarantee).
 */
export function treeDigest(dir: string): string {
  const h = crypto.createHash("sha256");
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    h.update(`${path.relative(dir, p)}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.mtimeMs}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(p));
    else if (st.isFile()) h.update(fs.readFileSync(p));
    else if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
  };
  walk(dir);
  return h.digest("hex");
}

export function sha256(p: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
}

/** The decoded stdin and script of the sh ops of a plan (to show what would travel where). */
export function shOps(plan: Plan): { script: string; stdin: string }[] {
  return (plan.apply ?? []).flatMap((op) => (op.op === "sh" ? [{ script: op.script, stdin: Buffer.from(op.stdin ?? "", "base64").toString() }] : []));
}
