/**
 * `multitier deploy <service|all>` and `multitier restart <service>`: apply playbooks through
 * the bastion. Exit codes as in README.md's table (0, 1, 2, 4, 130).
 */
import { run } from "../../runner/run";
import { defaultDeps } from "../../runner/connect";
import { action, type Register } from "../command";
import { summary } from "./index";
import { connectionFlags, envFlag, lockFlag, playFlags, toRequest, type RunnerFlags } from "../runner-flags";

export const registerDeploy: Register = (program, setExit) => {
  for (const command of ["deploy", "restart"] as const) {
    const cmd = program
      .command(`${command} <service...>`)
      .description(summary(command));
    lockFlag(playFlags(connectionFlags(envFlag(cmd)), { tags: command === "deploy" })).action(
      action(setExit, async (services: string[], flags: RunnerFlags) => (await run(toRequest(command, services, flags), defaultDeps())).code),
    );
  }
};
