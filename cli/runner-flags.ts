/**
 * The runner's command-line flags, in one place, in three groups so that each command lists
 * only the flags it honours:
 *   env         --env                                          every runner command
 *   connection  --limit --forks --json --accept-new-host-keys -i   commands that reach hosts
 *   play        --check --diff [--tags] --skip-tags            commands that run playbooks
 *               (restart runs the `restart` tasks: it takes no --tags)
 *   lock        --wait-lock                                    commands that change hosts
 *               (deploy, restart, unlock: they hold each host's lock, runner/lock.ts)
 *   rollout     --serial                                       deploy, restart (batches)
 * `toRequest` turns them into the runner's RunRequest (bad values: one line, exit 1).
 */
import { Command, Option } from "commander";
import type { RunRequest } from "../runner/run";

export interface RunnerFlags {
  env: string;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string;
  skipTags?: string;
  forks: string;
  json?: boolean;
  acceptNewHostKeys?: boolean;
  identity?: string;
  waitLock?: string;
  serial?: string;
}

export function envFlag(cmd: Command): Command {
  return cmd.requiredOption("--env <env>", "environment (hosts/<env>.yaml)", process.env.ENV ?? "production");
}

export function connectionFlags(cmd: Command): Command {
  return cmd
    .option("--limit <pattern>", "only these hosts: tier, host name or glob, comma-separated, !x excludes")
    .addOption(new Option("--forks <n>", "hosts at once").default("10"))
    .option("--json", "one JSON event per line instead of progress text")
    .option("--accept-new-host-keys", "record unknown host keys in hosts/<env>.known_hosts (changed keys are always refused)")
    .option("-i, --identity <file>", "private key file (default: ssh-agent, then ~/.ssh/id_ed25519, ~/.ssh/id_rsa)");
}

export function playFlags(cmd: Command, opts: { tags: boolean }): Command {
  cmd.option("--check", "change nothing; report what would change").option("--diff", "show unified diffs of files (secrets masked)");
  if (opts.tags) cmd.option("--tags <tags>", "only tasks with one of these tags (comma-separated)");
  return cmd.option("--skip-tags <tags>", "skip tasks with one of these tags");
}

export function lockFlag(cmd: Command): Command {
  return cmd.option("--wait-lock <seconds>", "a host another run holds: wait up to this long for it (default: leave that host, exit 4)");
}

export function serialFlag(cmd: Command): Command {
  return cmd.option("--serial <n>", 'roll the service\'s plays in batches: a number of hosts, a percentage ("30%") or a list ("1,50%"); overrides the playbook\'s serial');
}

const list = (s?: string) => (s ? s.split(",").map((x) => x.trim()).filter(Boolean) : []);

export function toRequest(command: RunRequest["command"], services: string[], f: RunnerFlags): RunRequest {
  const forks = Number(f.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new Error(`--forks: expected a positive integer, got "${f.forks}"`);
  const waitLock = f.waitLock === undefined ? 0 : Number(f.waitLock);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(f.waitLock ?? "0") || !Number.isFinite(waitLock)) throw new Error(`--wait-lock: expected a number of seconds (0 or more), got "${f.waitLock}"`);
  return {
    env: f.env,
    command,
    services,
    check: Boolean(f.check),
    diff: Boolean(f.diff),
    limit: f.limit,
    tags: list(f.tags),
    skipTags: list(f.skipTags),
    forks,
    json: Boolean(f.json),
    acceptNewHostKeys: Boolean(f.acceptNewHostKeys),
    identity: f.identity,
    waitLock,
    // runner/rollout.ts (zod) only when --serial is given: --help loads no command's dependencies
    ...(f.serial !== undefined ? { serial: (require("../runner/rollout") as typeof import("../runner/rollout")).parseSerialFlag(f.serial) } : {}),
  };
}
