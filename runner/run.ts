/**
 * One run of the runner, from CLI options to exit code: load and check everything locally
 * (environment, outputs, playbooks, vault) so that bad input changes nothing remotely, then
 * connect (one SSH connection to the bastion), execute, print the recap.
 */
import type { Environment } from "../config/environment";
import { InputErrors, loadEnvironment } from "../config/load";
import { InputError } from "../config/errors";
import { Executor, type Connector, type SecretFilter } from "./executor";
import { exitCodeFor, type Reporter } from "./events";
import { playMatches } from "./selection";
import { loadInventory, selectHosts, type Inventory, type InventoryHost } from "./inventory";
import { listServices, loadPlaybook, playbooksDir, type Playbook } from "./playbook";
import { loadOrder, stepsOf } from "./order";
import { preflight } from "./preflight";
import { HumanReporter, JsonReporter } from "./report";
import { holderOf, type LockRequest } from "./lock";
import { encryptedTiers, withUnlock } from "./unlock";
import { SshSession } from "./ssh";
import { chooseBalancer, makeBalancer, readOutputsJson, type BalancerChoice } from "./balancer";
import type { Balancer } from "./balancer/types";
import type { SerialItem } from "./rollout";

export interface RunRequest {
  env: string;
  command: "deploy" | "restart" | "unlock";
  services: string[];
  check: boolean;
  diff: boolean;
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  json: boolean;
  acceptNewHostKeys: boolean;
  identity?: string;
  /** --wait-lock: seconds to wait for a host another run holds (default 0: refuse it) */
  waitLock?: number;
  /** --serial: the batches of every play of the named services (overrides their `serial`) */
  serial?: SerialItem[];
}

export interface RunDeps {
  /** builds the connector once the inventory is known (SSH by default) */
  connector(inv: Inventory, req: RunRequest, secrets: SecretFilter): Promise<Connector>;
  /** the decrypted vault and a filter that masks its values */
  secrets(env: Environment): { vault: Record<string, unknown>; filter: SecretFilter };
  reporter?: Reporter;
  /** unlock: the LUKS passphrase of a tier (asked without echo, or read from the vault) */
  passphrase?(tier: string, vault: Record<string, unknown>): Promise<string>;
  /** the load balancer for `balancer: drain` plays (default: the environment's, runner/balancer/) */
  balancer?(choice: BalancerChoice): Balancer | undefined;
}

/** `all` expands to every service in dependency order: the tiers' order in the environment file. */
export function expandServices(env: Environment, services: string[]): string[] {
  if (!services.includes("all")) return services;
  const known = listServices();
  const ordered = [...Object.keys(env.tiers).filter((t) => known.includes(t)), ...known.filter((s) => !(s in env.tiers))];
  return ordered;
}

interface ServiceRun {
  service: string;
  book: Playbook;
  hosts: InventoryHost[];
}

export async function run(req: RunRequest, deps: RunDeps): Promise<{ code: number; executor?: Executor }> {
  const env = loadEnvironment(req.env);
  const services = expandServices(env, req.services);
  const load = playbookCache();
  for (const service of services) load(service); // an unknown service or bad playbook: said first
  // plays that match nothing, a service this environment has no hosts for, templates and the
  // variables they name: all before connecting (runner/preflight.ts)
  const problems = preflight(env, services, !req.services.includes("all"), load);
  if (problems.length) throw new InputErrors(problems);
  // `all`: which services wait for which (playbooks/order.yml; runner/order.ts)
  const order = req.services.includes("all") ? loadOrder(playbooksDir(), listServices()) : undefined;
  const inv = loadInventory(env);
  // the bastion is a target only for plays that name it, and only unless --limit leaves it out
  const limitItems = (req.limit ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  const others = limitItems.filter((x) => x !== "bastion");
  const limited = req.limit ? (others.length ? selectHosts(inv, others.join(",")) : []) : inv.hosts;
  const bastion = inv.bastionHost && (!req.limit || limitItems.includes("bastion")) ? [inv.bastionHost] : [];
  const common = req.command === "deploy" && listServices().length && safeExists("common", load) ? load("common") : undefined;
  const runs: ServiceRun[] = [];
  const { vault, filter } = deps.secrets(env);
  for (const service of services) {
    let book = load(service);
    const reach = (h: InventoryHost) => book.plays.some((p) => playMatches(p.hosts, h));
    const tierHosts = limited.filter(reach);
    // the bastion only for a service of this environment (one reaching a tier host here: the
    // monitoring agent needs a monitoring tier), or when the operator names it in --limit
    const hosts = tierHosts.length || limitItems.includes("bastion") ? [...tierHosts, ...bastion.filter(reach)] : [];
    if (hosts.length === 0 && req.services.includes("all")) continue; // `all`: only the services this environment has
    if (req.command === "unlock") {
      const tiers = encryptedTiers(env, book).filter((t) => hosts.some((h) => h.tier === t));
      const unlock: Record<string, string> = {};
      for (const t of tiers) {
        if (!deps.passphrase) throw new InputError("argument", 0, 0, "unlock", "no way to ask for the passphrase");
        unlock[t] = await deps.passphrase(t, vault);
        filter.add?.(unlock[t]);
      }
      vault.unlock = unlock;
      book = withUnlock(env, book, tiers);
    }
    // --serial rolls the service's own plays (common.yml's run on all its hosts first)
    const own = req.serial ? book.plays.map((p) => ({ ...p, serial: req.serial })) : book.plays;
    runs.push({ service, book: { ...book, plays: own }, hosts });
  }
  // common.yml first: once on every host of the run, all of them in parallel, when several
  // services are deployed together (as a site playbook's `common` play for `all`); before its
  // own playbook, on its hosts, when one service is
  if (common && runs.length > 1) {
    const everyHost = [...new Map(runs.flatMap((r) => r.hosts).map((h) => [h.name, h])).values()];
    runs.unshift({ service: "common", book: common, hosts: everyHost });
  } else if (common) for (const r of runs) r.book = { ...r.book, plays: [...common.plays, ...r.book.plays] };
  // a play that drains the load balancer: which one, and a way to call it (refused here if none)
  const drains = runs.some((r) => r.book.plays.some((p) => p.balancer === "drain"));
  const choice: BalancerChoice = drains ? chooseBalancer(env, readOutputsJson(inv.outputsFile), inv.outputsFile) : { kind: "none" };
  const balancerDeps = {
    bastionExec: (command: string, stdin?: string) =>
      connector.bastionExec ? connector.bastionExec(command, stdin) : Promise.reject(new Error("this connection cannot run commands on the bastion")),
    ...(req.check ? { hasAwsCli: () => true } : {}),
  };
  const balancer = deps.balancer ? deps.balancer(choice) : makeBalancer(choice, balancerDeps);
  // the connector checks its key (bad input: one line, nothing attempted) before anything is said
  const connector = await deps.connector(inv, req, filter);
  const reporter = deps.reporter ?? (req.json ? new JsonReporter() : new HumanReporter());
  const allHosts = [...new Set(runs.flatMap((r) => r.hosts.map((h) => h.name)))];
  reporter.emit({ event: "start", env: env.name, command: req.command, services: runs.map((r) => r.service), check: req.check, diff: req.diff, hosts: allHosts });
  const t0 = Date.now();
  const tags = req.command === "deploy" ? req.tags : ["restart"];
  // every run that may change hosts holds their locks; --check changes nothing and takes none
  const lock: LockRequest | undefined = req.check ? undefined : { holder: holderOf(commandLine(req)), waitSeconds: req.waitLock ?? 0 };
  const executor = new Executor(inv, connector, reporter, filter, vault, { check: req.check, diff: req.diff, tags, skipTags: req.skipTags, forks: req.forks, lock, balancer });
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints > 1) process.exit(130);
    reporter.emit({ event: "interrupted", msg: "stopping after the operations in flight (Ctrl-C again to abort at once)" });
    executor.interrupt();
  };
  process.on("SIGINT", onSigint);
  try {
    // common.yml first, then step by step: the lanes of a step at once (runner/order.ts)
    const byService = new Map(runs.map((r) => [r.service, r]));
    const rest = runs.filter((r) => r.service !== "common").map((r) => r.service);
    const steps = [...(byService.has("common") ? [[["common"]]] : []), ...stepsOf(rest, order, (s) => byService.get(s)!.hosts.map((h) => h.name))];
    for (const step of steps) {
      if (executor.wasInterrupted) break;
      await Promise.all(
        step.map(async (lane) => {
          for (const service of lane) {
            if (executor.wasInterrupted) return;
            const r = byService.get(service)!;
            await executor.runPlaybook(r.book, r.hosts, r.service);
          }
        }),
      );
    }
  } finally {
    process.off("SIGINT", onSigint);
    await executor.close();
  }
  const hosts = Object.fromEntries([...executor.counts.entries()]);
  const rollouts = executor.rollouts.map((r) => ({ ...r }));
  const notStarted = [...new Set(rollouts.flatMap((r) => r.notStarted))];
  reporter.emit({ event: "recap", hosts, seconds: (Date.now() - t0) / 1000, ...(rollouts.length ? { rollouts, notStarted } : {}) });
  // for bench/runner: round trips per host and TCP connections opened to the bastion
  if (process.env.MULTITIER_STATS) process.stderr.write(JSON.stringify({ stats: { roundTrips: executor.roundTrips(), bastionConnections: SshSession.bastionConnections } }) + "\n");
  const code0 = executor.wasInterrupted ? 130 : exitCodeFor(executor.counts);
  // a rollout stopped by its balancer (no task failed) is a failed deploy all the same
  const code = code0 === 0 && rollouts.some((r) => r.stoppedAt) ? 2 : code0;
  return { code, executor };
}

/** The run as an operator would type it (what another run's "locked by" line shows). */
function commandLine(req: RunRequest): string {
  return ["multitier", req.command, ...req.services, "--env", req.env, ...(req.limit ? ["--limit", req.limit] : [])].join(" ");
}

/** A loader that parses each playbook once for this run (the checks and the run share it). */
function playbookCache(): (service: string) => Playbook {
  const loaded = new Map<string, Playbook>();
  return (service) => {
    let book = loaded.get(service);
    if (!book) loaded.set(service, (book = loadPlaybook(service)));
    return book;
  };
}

function safeExists(service: string, load: (service: string) => Playbook): boolean {
  try {
    load(service);
    return true;
  } catch (e) {
    if (e instanceof InputError && e.field === "service") return false;
    throw e;
  }
}
