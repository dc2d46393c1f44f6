/**
 * Plans made by the real Terraform on this machine (builtin `terraform_data` resources: no
 * provider, no cloud): our Plan line must be exactly the line `terraform show` prints for
 * the same plan file — creates, updates, destroys, a replacement, a move, a forget, an
 * import, outputs only, no changes, and errored plans — and a state given instead of a plan
 * is one line, exit 1. Skipped (with the reason) when terraform is not on PATH.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyze } from "../../review/analyze";
import { renderMarkdown } from "../../review/markdown";
import { mergePlans, readPlans } from "../../review/read";
import { ROOT } from "./plans";

const CLI = path.join(ROOT, "bin", "multitier.js");
const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
if (!haveTerraform) console.log("terraform plan tests skipped: terraform is not on PATH");
const suite = haveTerraform ? describe : describe.skip;
const ENV = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };

let dir: string;
const tf = (...args: string[]) => spawnSync("terraform", [...args, "-no-color"], { cwd: dir, env: ENV, encoding: "utf8" });
const config = (c: object) => fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(c));
const data = (names: Record<string, object>) => ({ resource: { terraform_data: names } });

/** Apply `before`, plan `after`: the plan JSON and the summary paragraph Terraform prints for it. */
function planOf(before: object | undefined, after: object): { json: Buffer; human: string; file: string } {
  if (before) {
    config(before);
    execFileSync("terraform", ["init", "-no-color"], { cwd: dir, env: ENV, stdio: "ignore" });
    execFileSync("terraform", ["apply", "-auto-approve", "-no-color"], { cwd: dir, env: ENV, stdio: "ignore" });
  }
  config(after);
  execFileSync("terraform", ["init", "-no-color"], { cwd: dir, env: ENV, stdio: "ignore" });
  tf("plan", "-out=p.tfplan"); // may fail (errored plans): the plan file is still written
  const json = execFileSync("terraform", ["show", "-json", "p.tfplan"], { cwd: dir, env: ENV });
  const shown = tf("show", "p.tfplan").stdout;
  const paragraphs = shown.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, " ").trim());
  const human = paragraphs.find((p) => /^(Plan:|No changes\.|Planning failed\.|You can apply this plan)/.test(p)) ?? "(none)";
  const file = path.join(dir, "plan.json");
  fs.writeFileSync(file, json);
  return { json, human: human.replace(/^(No changes\. Your infrastructure matches the configuration\.|Planning failed\. Terraform encountered an error while generating this plan\.).*/, "$1"), file };
}

suite("plans made by terraform", () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tfplan-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("create, update, destroy, replace, move and forget: the Plan line is Terraform's (no forget count), ours on their own line", () => {
    const before = { ...data({ a: { input: "1" }, b: { input: "1" }, c: { input: "1" }, d: { input: "1" }, e: { input: "1" } }), output: { o: { value: "x" } } };
    const after = {
      ...data({ a: { input: "2" }, c2: { input: "1" }, d: { input: "1", triggers_replace: "x" }, n: { input: "1" } }),
      moved: [{ from: "terraform_data.c", to: "terraform_data.c2" }],
      removed: [{ from: "terraform_data.e", lifecycle: { destroy: false } }],
      output: { o: { value: "y" } },
    };
    const p = planOf(before, after);
    const a = analyze(mergePlans(readPlans(p.json)));
    expect(p.human).toBe("Plan: 2 to add, 1 to change, 2 to destroy.");
    expect(a.planLine).toBe(p.human);
    expect(a.counts).toMatchObject({ replace: 1, move: 1, forget: 1, import: 0 });
    const md = renderMarkdown(a).split("\n");
    expect(md[3]).toBe(`**${p.human}**`);
    expect(md).toContain("Replacements: **1** · Imports: **0** · Moves: **1** · Forgets: **1**");
  }, 60_000);

  test("an import: Plan: 1 to import, …", () => {
    const p = planOf(undefined, { ...data({ i: {} }), import: [{ to: "terraform_data.i", id: "abc" }] });
    expect(p.human).toBe("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
    expect(analyze(readPlans(p.json)[0]).planLine).toBe(p.human);
  }, 60_000);

  test("outputs only, and no changes at all: Terraform's sentences", () => {
    const base = { ...data({ a: { input: "1" } }), output: { o: { value: "x" } } };
    const outputs = planOf(base, { ...base, output: { o: { value: "y" } } });
    expect(outputs.human).toMatch(/^You can apply this plan to save these new output values/);
    expect(analyze(readPlans(outputs.json)[0]).planLine).toBe(outputs.human);
    const none = planOf(undefined, base);
    expect(none.human).toBe("No changes. Your infrastructure matches the configuration.");
    expect(analyze(readPlans(none.json)[0]).planLine).toBe(none.human);
  }, 60_000);

  const failing = { variable: { v: { default: "1" } } };
  const badResource = { input: "1", lifecycle: { precondition: [{ condition: '${var.v == "2"}', error_message: "v must be 2" }] } };

  test("an errored plan with actions: Terraform's Plan line, 'Planning failed' above the fold, exit 6 (planning failed: its own code)", () => {
    const p = planOf(undefined, { ...failing, ...data({ ok: { input: "1" }, bad: badResource }) });
    expect(JSON.parse(p.json.toString()).errored).toBe(true);
    const a = analyze(readPlans(p.json)[0]);
    expect(a.planLine).toBe(p.human);
    const top = renderMarkdown(a).split("\n").slice(0, 8).join("\n");
    expect(top).toContain("**Planning failed.**");
    expect(top).not.toContain("No changes");
    const r = spawnSync(CLI, ["review", p.file], { encoding: "utf8" });
    expect(r.status).toBe(6);
  }, 60_000);

  test("an errored plan with nothing planned says 'Planning failed', never 'No changes'", () => {
    const p = planOf(undefined, { ...failing, ...data({ bad: badResource }) });
    const a = analyze(readPlans(p.json)[0]);
    expect(p.human).toBe("Planning failed. Terraform encountered an error while generating this plan.");
    expect(a.planLine).toBe(p.human);
    expect(renderMarkdown(a).split("\n")[3]).toBe(`**${p.human}**`);
  }, 60_000);

  test("a state (terraform show -json without a plan file) is refused: one line, exit 1", () => {
    planOf(data({ a: { input: "1" } }), data({ a: { input: "1" } }));
    const state = path.join(dir, "state.json");
    fs.writeFileSync(state, execFileSync("terraform", ["show", "-json"], { cwd: dir, env: ENV }));
    expect(JSON.parse(fs.readFileSync(state, "utf8")).values).toBeDefined();
    const r = spawnSync(CLI, ["review", state], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`review: ${state}: this is a Terraform state (what \`terraform show -json\` prints without a plan file), not a plan; expected \`terraform show -json <planfile>\`\n`);
  }, 60_000);
});
