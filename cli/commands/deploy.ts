/**
 * `multitier deploy <service|all>` and `multitier restart <service>`: apply playbooks through
 * the bastion. Exit codes: 0 ok, 1 bad input (nothing was sent), 2 a task failed,
 * 4 a host was unreachable, 130 interrupted.
 */
import { Command, Option } from "commander";
import { run, type RunRequest } from "../../runner/run";
import { defaultDeps } from "../../runner/connect";
import { reportError } from "../report-error";
import type { Register } from "./index";

interface Flags {
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
}

export function runnerOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--env <env>", "environment (hosts/<env>.yaml)", process.env.ENV ?? "production")
    .option("--check", "change nothing; report what would change")
    .option("--diff", "show unified diffs of files (secrets masked)")
    .option("--limit <pattern>", "only these hosts: tier, host name or glob, comma-separated, !x excludes")
    .option("--tags <tags>", "only tasks with one of these tags (comma-separated)")
    .option("--skip-tags <tags>", "skip tasks with one of these tags")
    .addOption(new Option("--forks <n>", "hosts at once").default("10"))
    .option("--json", "one JSON event per line instead of progress text")
    .option("--accept-new-host-keys", "record unknown host keys in hosts/<env>.known_hosts (changed keys are always refused)")
    .option("-i, --identity <file>", "private key file (default: ssh-agent, then ~/.ssh/id_ed25519, ~/.ssh/id_rsa)");
}

const list = (s?: string) => (s ? s.split(",").map((x) => x.trim()).filter(Boolean) : []);

export function toRequest(command: RunRequest["command"], services: string[], f: Flags): RunRequest {
  const forks = Number(f.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new Error(`--forks: expected a positive integer, got "${f.forks}"`);
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
  };
}

export const registerDeploy: Register = (program, setExit) => {
  for (const command of ["deploy", "restart"] as const) {
    runnerOptions(
      program
        .command(`${command} <service...>`)
        .description(command === "deploy" ? "apply playbooks/<service>.yml (after common.yml) to its hosts; `all` = every service, database first" : "run the service playbook's tasks tagged `restart`"),
    ).action(async (services: string[], flags: Flags) => {
      try {
        const { code } = await run(toRequest(command, services, flags), defaultDeps());
        setExit(code);
      } catch (e) {
        setExit(reportError(e));
      }
    });
  }
};
