/**
 * Plan review: the two real plans from ../shared (read there, never copied), plans built
 * from our own stack with golden Markdown plus targeted assertions, input shapes, the size
 * limit, the CLI's exit codes, and the synth diff.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyze } from "../../review/analyze";
import { GITHUB_LIMIT, renderMarkdown } from "../../review/markdown";
import { mergePlans, readPlans } from "../../review/read";
import { diffStacks, synthDiff } from "../../review/synth-diff";
import { groupWidenedPlan, hugePlan, productionStack, ROOT, SHARED_PLANS, tagOnlyPlan, volumeReplacedPlan } from "./plans";

const CLI = path.join(ROOT, "bin", "multitier.js");
const DRIFT = path.join(SHARED_PLANS, "tfcompliance-issue522-aws-create-update-delete-drift.json");
const REPLACE = path.join(SHARED_PLANS, "terraform-show-json-requires-replace.json");
const haveShared = fs.existsSync(DRIFT) && fs.existsSync(REPLACE);
if (!haveShared) console.log(`real-plan tests skipped: ${SHARED_PLANS} not found`);
const withShared = haveShared ? describe : describe.skip;

const golden = (name: string, text: string) => {
  const f = path.join(__dirname, "golden", name);
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(f, text);
  expect(text).toBe(fs.readFileSync(f, "utf8"));
};

let stack: any;
let tmp: string;
beforeAll(() => {
  stack = productionStack();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-review-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

withShared("real plans", () => {
  test("create/update/delete with drift: Terraform's counts; drift entries without address listed", () => {
    const a = analyze(mergePlans(readPlans(fs.readFileSync(DRIFT))));
    expect(a.planLine).toBe("Plan: 5 to add, 1 to change, 2 to destroy.");
    expect(a.drift).toHaveLength(15);
    expect(a.drift.every((d) => d.address.endsWith("(no address given)"))).toBe(true);
    expect(a.outputs.map((o) => [o.name, o.action])).toEqual([["lambda_function_arn", "update"]]);
    expect(a.danger).toEqual([]);
    const md = renderMarkdown(a);
    expect(md).toContain("### Drift (changed outside Terraform)");
    expect(md).toMatch(/^- delete `aws_lambda_function\.\S+ \(no address given\)` \(aws_lambda_function\)$/m);
  });

  test("a replace: counted once as replacement, forced-by attribute and reason shown", () => {
    const a = analyze(mergePlans(readPlans(fs.readFileSync(REPLACE))));
    expect(a.counts).toMatchObject({ add: 1, destroy: 1, change: 0, replace: 1 });
    const r = a.groups[0].resources[0];
    expect([r.action, r.forcedBy, r.reason]).toEqual(["replace", ["ami"], "replace_because_cannot_update"]);
    expect(renderMarkdown(a)).toContain("replace <code>test_instance.test</code> (forced by <code>ami</code>)");
  });

  test("the same plan preceded by text, one per line, and UTF-16 with and without BOM", () => {
    const json = fs.readFileSync(DRIFT, "utf8");
    const compact = JSON.stringify(JSON.parse(json));
    const variants = [
      Buffer.from("Acquiring state lock...\nterraform show output:\n" + json),
      Buffer.from(compact + "\n" + JSON.stringify(JSON.parse(fs.readFileSync(REPLACE, "utf8"))) + "\n"),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, "utf16le")]),
      Buffer.from(json, "utf16le"),
    ];
    const lines = variants.map((v) => analyze(mergePlans(readPlans(v))).planLine);
    expect(lines).toEqual(["Plan: 5 to add, 1 to change, 2 to destroy.", "Plan: 6 to add, 1 to change, 3 to destroy.", "Plan: 5 to add, 1 to change, 2 to destroy.", "Plan: 5 to add, 1 to change, 2 to destroy."]);
  });

  test("CLI: exit 0 for a safe plan, JSON with counts/danger/groups", () => {
    const r = spawnSync(CLI, ["review", DRIFT, "--json"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(expect.arrayContaining(["counts", "danger", "groups"]));
  });
});

describe("plans from our own stack", () => {
  test("a database volume replaced: the banner names it and its forcing attribute; exit 3", () => {
    const plan = volumeReplacedPlan(stack);
    const a = analyze(plan);
    expect(a.danger).toEqual([expect.objectContaining({ action: "replace", forcedBy: ["availability_zone"], reason: "replace_because_cannot_update" })]);
    const md = renderMarkdown(a);
    expect(md.split("\n").slice(0, 12).join("\n")).toContain("> [!CAUTION]");
    golden("volume-replaced.md", md);
    const f = path.join(tmp, "replaced.json");
    fs.writeFileSync(f, JSON.stringify(plan));
    expect(spawnSync(CLI, ["review", f], { encoding: "utf8" }).status).toBe(3);
  });

  test("a security group widened: the opened rule is listed", () => {
    const a = analyze(groupWidenedPlan());
    expect(a.securityGroups).toEqual([expect.objectContaining({ change: "opened", rule: "ingress tcp 22 from 0.0.0.0/0", group: "(known after apply)" })]);
    expect(a.danger).toEqual([]);
    golden("group-widened.md", renderMarkdown(a));
  });

  test("a tag-only change: an update, sensitive values masked, no banner", () => {
    const a = analyze(tagOnlyPlan(stack));
    expect(a.planLine).toBe("Plan: 0 to add, 1 to change, 0 to destroy.");
    expect(a.danger).toEqual([]);
    expect(a.groups[0]).toMatchObject({ tier: "webapp", action: "update" });
    expect(a.groups[0].resources[0].attributes).toEqual([{ path: "tags.Owner", before: "—", after: '"research-it"' }]);
    golden("tag-only.md", renderMarkdown(a));
  });

  test("2,000 resources: within GitHub's limit, summary and banner kept, the cut said", () => {
    const md = renderMarkdown(analyze(hugePlan(2000, stack)));
    expect(md.length).toBeLessThanOrEqual(GITHUB_LIMIT);
    expect(md).toContain("**Plan: 2000 to add, 0 to change, 1 to destroy.**");
    expect(md).toContain("> [!CAUTION]");
    expect(md).toMatch(/cut here: the comment limit is 65,536 characters; \d+ more line\(s\) not shown/);
  });

  test("unreadable input: one line, exit 1", () => {
    const f = path.join(tmp, "bad.json");
    fs.writeFileSync(f, "Error: Failed to load plugin schemas\n");
    const r = spawnSync(CLI, ["review", f], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`review: ${f}: no Terraform plan JSON found; expected the output of \`terraform show -json <planfile>\`\n`);
  });
});

describe("synth diff", () => {
  test("predicts replacements from force-new attributes and honours ignore_changes", () => {
    const head = JSON.parse(JSON.stringify(stack));
    const [volName] = Object.entries(head.resource.aws_ebs_volume).find(([, c]: any) => c.tags.Name === "emission-database-data")!;
    head.resource.aws_ebs_volume[volName].availability_zone = "us-east-1a";
    const [instName] = Object.entries(head.resource.aws_instance).find(([, c]: any) => c.tags.Tier === "webapp")!;
    head.resource.aws_instance[instName].ami = "ami-changed";
    head.resource.aws_instance[instName].instance_type = "m7i.2xlarge";
    const a = analyze(diffStacks({ production: stack }, { production: head }));
    expect(a.planLine).toBe("Plan: 1 to add, 1 to change, 1 to destroy.");
    expect(a.danger.map((d) => [d.action, d.forcedBy])).toEqual([["replace", ["availability_zone"]]]);
    const upd = a.groups.flatMap((g) => g.resources).find((r) => r.action === "update")!;
    expect(upd.attributes.map((x) => x.path)).toEqual(["instance_type"]);
  });

  test("against HEAD in a temporary worktree (removed afterwards)", () => {
    // the worktrees' paths only: other checkouts of the same repository may commit meanwhile
    const worktrees = () => spawnSync("git", ["-C", ROOT, "worktree", "list", "--porcelain"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.startsWith("worktree "));
    const before = worktrees();
    const plan = synthDiff("HEAD", ROOT);
    expect(Array.isArray(plan.resource_changes)).toBe(true);
    expect(worktrees()).toEqual(before);
  }, 60_000);
});
