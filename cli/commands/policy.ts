/**
 * `multitier policy [--env E] [--json]`: check every environment's synthesized Terraform
 * against review/policy.ts. One line per finding (rule, resource, why); waived findings are
 * listed with their written reason. Exit 5 when any finding is not waived; a broken
 * environment file is reported as `validate` reports it (one line each, exit 1). The stacks
 * `make synth` just wrote are used as they are when nothing changed since (review/synth-reuse.ts).
 */
import * as path from "path";
import type { checkPolicy } from "../../review/policy";
import { EXIT } from "../exit";
import { action, type Register } from "../command";
import { summary } from "./index";

export const registerPolicy: Register = (program, setExit) => {
  program
    .command("policy")
    .description(summary("policy"))
    .option("--env <env>", "only this environment")
    .option("--json", "findings as JSON")
    .action(
      action(setExit, async (o: { env?: string; json?: boolean }) => {
        // loaded when the command runs, not for --help (cli/commands/index.ts)
        const { listEnvironmentFiles, loadEnvironmentFile } = require("../../config/load") as typeof import("../../config/load");
        const { environmentNameFromFile } = require("../../config/environment") as typeof import("../../config/environment");
        const { checkPolicy, RULES } = require("../../review/policy") as typeof import("../../review/policy");
        const { checkEnvironmentFiles } = require("../../review/synth") as typeof import("../../review/synth");
        const { workingTreeStacks } = require("../../review/synth-reuse") as typeof import("../../review/synth-reuse");
        checkEnvironmentFiles();
        const envs = listEnvironmentFiles()
          .map((f) => loadEnvironmentFile(f))
          .filter((e) => e.platform !== "lab" && (!o.env || e.name === o.env));
        if (o.env && envs.length === 0) throw new Error(`no environment "${o.env}" with a stack`);
        // one synthesis, or none when `make synth` just made these stacks (review/synth-reuse.ts)
        const stacks = workingTreeStacks(process.cwd(), envs.map((e) => environmentNameFromFile(e.file)));
        const report: Record<string, ReturnType<typeof checkPolicy>> = {};
        for (const env of envs) report[env.name] = checkPolicy(stacks[env.name] ?? {}, env.waivers);
        const open = Object.values(report).flat().filter((f) => !f.waived).length;
        if (o.json) process.stdout.write(JSON.stringify({ rules: RULES.map((r) => ({ id: r.id, reason: r.reason })), findings: report }, null, 2) + "\n");
        else
          for (const [env, findings] of Object.entries(report)) {
            const file = path.join("hosts", `${environmentNameFromFile(env)}.yaml`);
            const bad = findings.filter((f) => !f.waived);
            process.stdout.write(`${env}: ${RULES.length} rules, ${bad.length} finding(s)${findings.length > bad.length ? `, ${findings.length - bad.length} waived in ${file}` : ""}\n`);
            for (const f of findings) {
              const reason = RULES.find((r) => r.id === f.rule)!.reason;
              process.stdout.write(f.waived ? `  waived  ${f.rule}  ${f.resource}: ${f.detail} — waiver: ${f.waived}\n` : `  FAIL    ${f.rule}  ${f.resource}: ${f.detail} (${reason})\n`);
            }
          }
        return open ? EXIT.policyFinding : EXIT.ok;
      }),
    );
};
