/**
 * `multitier review <plan.json>` and `multitier review --synth-diff <base-ref>`: Markdown for
 * a pull-request comment (or `--json`). Exit 0 for a safe plan, 3 when it destroys or
 * replaces something that holds data (or moves region or backend; the load balancer's
 * replacement, service-affecting, has its own section and no code), 6 when planning failed
 * ("errored": true), 1 for input that is not a plan or a broken environment file (one line
 * each, as `validate` says it).
 */
import * as fs from "fs";
import { PlanReadError } from "../../review/read-error";
import { EXIT } from "../exit";
import { action, type Register } from "../command";
import { summary } from "./index";

export const registerReview: Register = (program, setExit) => {
  program
    .command("review [plan]")
    .description(summary("review"))
    .option("--synth-diff <ref>", "compare the synthesized stacks of <ref> with the working tree")
    .option("--json", "the analysis as JSON (counts, danger, groups)")
    .option("--limit <chars>", "maximum comment length", "65536")
    .action(
      action(setExit, async (plan: string | undefined, o: { synthDiff?: string; json?: boolean; limit: string }) => {
        // loaded when the command runs, not for --help (cli/commands/index.ts)
        const { analyze } = require("../../review/analyze") as typeof import("../../review/analyze");
        const { renderJson, renderMarkdown } = require("../../review/markdown") as typeof import("../../review/markdown");
        const { mergePlans, readPlans } = require("../../review/read") as typeof import("../../review/read");
        const { synthDiff } = require("../../review/synth-diff") as typeof import("../../review/synth-diff");
        let analysis;
        let title = "Terraform plan review";
        if (o.synthDiff) {
          analysis = analyze(synthDiff(o.synthDiff));
          title = `Synthesized change against ${o.synthDiff} (predicted, no credentials)`;
          analysis.planLine = analysis.planLine.replace(/^Plan:/, "Predicted:").replace(/^No changes\./, "Predicted: no changes.");
        } else {
          if (!plan) throw new PlanReadError("expected a plan file (terraform show -json <planfile> > plan.json), - for stdin, or --synth-diff <ref>");
          let buf: Buffer;
          try {
            buf = plan === "-" ? fs.readFileSync(0) : fs.readFileSync(plan);
          } catch {
            throw new PlanReadError(`${plan}: cannot read the file`);
          }
          try {
            analysis = analyze(mergePlans(readPlans(buf)));
          } catch (e) {
            if (e instanceof PlanReadError) throw new PlanReadError(`${plan}: ${e.message}`);
            throw e;
          }
        }
        process.stdout.write((o.json ? renderJson(analysis) : renderMarkdown(analysis, title, Number(o.limit))) + "\n");
        return analysis.danger.length ? EXIT.destroysData : analysis.errored ? EXIT.planFailed : EXIT.ok;
      }),
    );
};
