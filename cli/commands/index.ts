/**
 * The list of commands, as a static table: name, how `--help` shows it, one line of summary, and
 * a loader. Only the command that runs is loaded (with what it imports: ssh2, handlebars, zod,
 * cdktf …), so `--help` and a mistyped command load none of them (cli/main.ts). Each command
 * file exports a `Register` (cli/command.ts) and takes its description from here;
 * test/cli/commands-table.test.ts checks the table against what the commands register.
 */
import type { Register } from "../command";

export interface CommandEntry {
  name: string;
  /** as `multitier --help` lists it (commander's subcommand term) */
  term: string;
  summary: string;
  load(): Register;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const commands: CommandEntry[] = [
  { name: "validate", term: "validate [options]", summary: "check environment files under hosts/ (all of them, or --env E), then terraform validate their stacks", load: () => require("./validate").registerValidate },
  { name: "deploy", term: "deploy [options] <service...>", summary: "apply playbooks/<service>.yml (after common.yml) to its hosts; `all` = every service, database first", load: () => require("./deploy").registerDeploy },
  { name: "restart", term: "restart [options] <service...>", summary: "run the service playbook's tasks tagged `restart`", load: () => require("./deploy").registerDeploy },
  { name: "ping", term: "ping [options]", summary: "reach every host through the bastion (no change)", load: () => require("./ping").registerPing },
  { name: "facts", term: "facts [options]", summary: "print each host's facts as JSON (no change)", load: () => require("./ping").registerPing },
  { name: "unlock", term: "unlock [options] <service...>", summary: "after a reboot: open the tier's LUKS volumes, mount them, start its services", load: () => require("./unlock").registerUnlock },
  { name: "vault", term: "vault", summary: "create, edit or view hosts/<env>.vault.yml (Ansible Vault format)", load: () => require("./vault").registerVault },
  { name: "tunnel", term: "tunnel [options] <host>", summary: "SSH tunnel through the bastion to a port on a host's loopback (Jupyter: make tunnel-notebook)", load: () => require("./tunnel").registerTunnel },
  { name: "review", term: "review [options] [plan]", summary: "review `terraform show -json` output (file or - for stdin), or --synth-diff <base-ref> without credentials", load: () => require("./review").registerReview },
  { name: "policy", term: "policy [options]", summary: "check the synthesized Terraform of every environment (or --env) against the policy rules", load: () => require("./policy").registerPolicy },
  { name: "modules", term: "modules [options] [name]", summary: "the module reference: every module (or one) with its arguments, from the modules' schemas", load: () => require("./modules").registerModules },
];

/** The one-line summary of a command (its file's `.description`). */
export function summary(name: string): string {
  const entry = commands.find((c) => c.name === name);
  if (!entry) throw new Error(`no command "${name}" in cli/commands/index.ts`);
  return entry.summary;
}
