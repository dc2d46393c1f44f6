/**
 * Checks around local Terraform state, run by the Makefile and the CI workflow:
 *   node --import tsx scripts/state.ts warn  <env>   make plan/apply: say that state is local
 *   node --import tsx scripts/state.ts guard <env>   make plan/apply: refuse when state sits at the
 *                                                    old path (cdktf.out/…) and not at the new one
 *   node --import tsx scripts/state.ts ci    <env>   CI: refuse (exit 1) a real plan from local state,
 *                                                    which is empty on a runner
 * One line each; exit 0 when fine, 1 when refused.
 */
import * as fs from "fs";
import { loadEnvironment } from "../config/load";
import { legacyStatePath, localStatePath } from "../stacks/state";

function main(argv: string[]): number {
  const [cmd, name] = argv;
  if (!["warn", "guard", "ci"].includes(cmd) || !name) {
    process.stderr.write("usage: scripts/state.ts warn|guard|ci <env>\n");
    return 1;
  }
  let local: boolean;
  try {
    local = !loadEnvironment(name).backend.s3;
  } catch (e) {
    process.stderr.write(`state: ${(e as Error).message.split("\n")[0]}\n`);
    return 1;
  }
  const now = localStatePath(name);
  const old = legacyStatePath(name);
  if (cmd === "ci") {
    if (!local) return 0;
    process.stderr.write(`state: ${name} keeps its Terraform state in a local file, which is empty on a CI runner: a plan from it would create everything again; not posting it (set backend.s3 in hosts/${name}.yaml)\n`);
    return 1;
  }
  if (cmd === "warn") {
    if (local)
      process.stderr.write(`warning: ${name} uses local Terraform state (${now}, on this machine only, no locking); a team needs backend.s3 (S3 with use_lockfile) in hosts/${name}.yaml\n`);
    return 0;
  }
  if (local && fs.existsSync(old) && !fs.existsSync(now)) {
    process.stderr.write(`state: found ${old} (the old place, inside cdktf.out) and no ${now}; move it first: mv ${old} ${now} (README: "Moving local state")\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
