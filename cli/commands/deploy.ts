/**
 * `multitier deploy <service|all>` and `multitier restart <service>`: apply playbooks through
 * the bastion. Exit codes as in README.md's table (0, 1, 2, 4, 130).
 */
import { action, type Register } from "../command";
import { summary } from "./index";
import { connectionFlags, envFlag, lockFlag, playFlags, serialFlag, toRequest, type RunnerFlags } from "../runner-flags";

export const registerDeploy: Register = (program, setExit) => {
  for (const command of ["deploy", "restart"] as const) {
    const cmd = program
      .command(`${command} <service...>`)
      .description(summary(command));
    serialFlag(lockFlag(playFlags(connectionFlags(envFlag(cmd)), { tags: command === "deploy" }))).action(
      action(setExit, async (services: string[], flags: RunnerFlags) => {
        const req = toRequest(command, services, flags);
        // loaded when the command runs, not for --help (cli/commands/index.ts)
        const { run } = require("../../runner/run") as typeof import("../../runner/run");
        const { defaultDeps } = require("../../runner/connect") as typeof import("../../runner/connect");
        return (await run(req, defaultDeps())).code;
      }),
    );
  }
};
