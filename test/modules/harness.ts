/**
 * Module tests against a real host: this machine, through the REAL agent (runner/agent/agent.py
 * started as a local child process, same protocol as over SSH) working in a temp directory.
 *
 * `host.run(module, args)` does what the executor does for one task — arguments rendered
 * (`{{ }}`, strict) and parsed by the module's schema, probe, plan, apply (unless --check),
 * verify — and then probes and plans AGAIN, so every test also sees whether the module is
 * idempotent (`second.status` must be "ok" after a change).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AgentClient, agentCommand, localChannel } from "../../runner/agent/client";
import type { Op, OpResult } from "../../runner/agent/protocol";
import { Masker } from "../../runner/secrets/mask";
import { render } from "../../runner/template";
import type { Module, Plan, TaskContext } from "../../runner/modules/types";

export interface RunOptions {
  check?: boolean;
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
  run<A>(mod: Module<A>, raw: unknown, opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** Argument errors the way the executor reports them: `<module>.<path>: <message>`. */
export class ArgError extends Error {}

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

  const ctx = (o: RunOptions = {}): TaskContext => {
    const vars = { host: { name: "local", tier: "test" }, facts: agent.facts, ...(o.vars ?? {}) };
    return {
      host: { name: "local", tier: "test", privateIp: "127.0.0.1", user: os.userInfo().username, volumes: {} },
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

  const parse = <A>(mod: Module<A>, raw: unknown, o: RunOptions = {}): A => {
    const c = ctx(o);
    // the executor renders every string argument that contains {{ }} before the schema sees it
    const walk = (v: unknown): unknown =>
      typeof v === "string" && v.includes("{{")
        ? render({ inline: v }, c.vars)
        : Array.isArray(v)
          ? v.map(walk)
          : v && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
            : v;
    const parsed = mod.args.safeParse(walk(raw));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ArgError(`${mod.name}.${issue.path.join(".")}: ${issue.message}`);
    }
    return parsed.data;
  };

  const planOnce = async <A>(mod: Module<A>, a: A, c: TaskContext): Promise<{ plan: Plan; probe: Op[] }> => {
    const probe = mod.probe(a, c);
    const results = probe.length ? await agent.call(probe) : [];
    return { plan: mod.plan(a, results, c), probe };
  };

  const run = async <A>(mod: Module<A>, raw: unknown, o: RunOptions = {}): Promise<RunResult> => {
    const c = ctx(o);
    const a = parse(mod, raw, o);
    const { plan, probe } = await planOnce(mod, a, c);
    if (plan.status !== "changed" || c.check) return { plan, probe };
    let applied: OpResult[];
    try {
      applied = await agent.call(plan.apply ?? []); // the client's secret guard refuses before sending
    } catch (e) {
      return { plan, probe, problem: (e as Error).message };
    }
    const problem = plan.verify ? plan.verify(applied) : defaultVerify(plan.apply ?? [], applied);
    const second = problem ? undefined : (await planOnce(mod, parse(mod, raw, o), ctx({ ...o, runState: c.runState }))).plan;
    return { plan, probe, applied, problem, second };
  };

  return {
    agent,
    dir,
    templates,
    secrets,
    ctx,
    parse,
    run,
    async close() {
      agent.close();
      if (savedTemplates === undefined) delete process.env.MULTITIER_TEMPLATES_DIR;
      else process.env.MULTITIER_TEMPLATES_DIR = savedTemplates;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Same rule as the executor's: every op ok, every sh op exit 0. */
function defaultVerify(ops: Op[], results: OpResult[]): string | undefined {
  for (let i = 0; i < ops.length; i++) {
    const r = results[i];
    if (!r) return "no result from the host";
    if (!r.ok) return r.error;
    if (ops[i].op === "sh" && "rc" in r && r.rc !== 0) return `command failed (rc ${r.rc}): ${(r.stderr || r.stdout).trim()}`;
  }
  return undefined;
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
