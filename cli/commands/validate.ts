/**
 * `multitier validate [--env E] [--no-terraform]`: check environment files (every problem is
 * one line, exit 1) and the playbooks against each (runner/preflight.ts), then — when `terraform` is installed — synthesize each good AWS
 * environment and run the real `terraform init -backend=false` + `terraform validate` on it
 * (terraform/validate.ts), so what the AWS provider would refuse is refused here too.
 * It says plainly when the terraform step was skipped and why. Also refuses removing a host
 * whose volumes hold data unless `tiers.<t>.retire` names it (config/identities.ts).
 */
import type { ValidateOptions } from "./validate-run";
import { action, type Register } from "../command";
import { summary } from "./index";

// the checks are loaded when the command runs, not for --help (cli/commands/index.ts)
export const registerValidate: Register = (program, setExit) => {
  program
    .command("validate")
    .description(summary("validate"))
    .option("--env <env>", "environment name (hosts/<env>.yaml)")
    .option("--base <ref>", "git ref whose environment files say which hosts exist (default HEAD; CI: the base branch)", "HEAD")
    .option("--no-terraform", "schema and semantic checks only (skip terraform validate)")
    .action(
      action(setExit, async (opts: ValidateOptions) => (require("./validate-run") as typeof import("./validate-run")).validate(opts))
    );
};
