/**
 * The review's service-affecting section: destroying or replacing the load balancer, a
 * listener or a target group interrupts the service but loses no data, so it is shown in a
 * section of its own (not the data banner) and changes no exit code — from plans shaped like
 * `terraform show -json` built on our stack behind a load balancer, and from the synth diff.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyze } from "../../review/analyze";
import { renderMarkdown } from "../../review/markdown";
import { diffStacks } from "../../review/synth-diff";
import { loadBalancerReplacedPlan, loadBalancerStack, productionStack, ROOT, volumeReplacedPlan } from "./plans";

const CLI = path.join(ROOT, "bin", "multitier.js");
let lbStack: any;
let tmp: string;
beforeAll(() => {
  lbStack = loadBalancerStack();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-svc-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const review = (plan: unknown) => {
  const f = path.join(tmp, `plan-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify(plan));
  return spawnSync(CLI, ["review", f], { encoding: "utf8" });
};

test("the load balancer and its target group replaced: their own section, no data banner, exit 0", () => {
  const a = analyze(loadBalancerReplacedPlan(lbStack));
  expect(a.danger).toEqual([]);
  expect(a.serviceAffecting.map((d) => [d.action, d.address.split(".")[0], d.forcedBy])).toEqual([
    ["replace", "aws_lb", ["internal"]],
    ["replace", "aws_lb_target_group", ["name", "port"]],
  ]);
  const md = renderMarkdown(a);
  expect(md).not.toContain("[!CAUTION]");
  const head = md.split("\n").slice(0, 12).join("\n");
  expect(head).toContain("> [!WARNING]\n> **Service-affecting: this plan destroys or replaces parts of the load balancer.**");
  expect(head).toMatch(/^> - \*\*REPLACE\*\* `aws_lb\.\S+` — the load balancer: .*DNS name changes.*; forced by `internal`$/m);
  expect(head).toMatch(/^> - \*\*REPLACE\*\* `aws_lb_target_group\.\S+` — a target group: .*; forced by `name`, `port`$/m);
  const r = review(loadBalancerReplacedPlan(lbStack));
  expect(r.stdout).toContain("Service-affecting");
  expect(r.status).toBe(0);
});

test("with a data volume replaced too: both sections, data first, exit 3 (data decides the code)", () => {
  const plan = loadBalancerReplacedPlan(lbStack);
  plan.resource_changes!.push(...volumeReplacedPlan(productionStack()).resource_changes!);
  const md = renderMarkdown(analyze(plan));
  expect(md.indexOf("[!CAUTION]")).toBeGreaterThan(0);
  expect(md.indexOf("Service-affecting")).toBeGreaterThan(md.indexOf("[!CAUTION]"));
  expect(review(plan).status).toBe(3);
});

test("an update in place (a health-check path) is not service-affecting", () => {
  const plan = loadBalancerReplacedPlan(lbStack);
  const tg = plan.resource_changes![1];
  tg.change.actions = ["update"];
  tg.change.after = { ...tg.change.before, health_check: { ...tg.change.before.health_check, path: "/ping" } };
  plan.resource_changes = [tg];
  expect(analyze(plan).serviceAffecting).toEqual([]);
});

describe("synth diff (predicted, no credentials)", () => {
  test("a new target port: the target group is replaced (forced by name and port) and every host re-registered to it", () => {
    const head = JSON.parse(JSON.stringify(lbStack));
    const [tg] = Object.values<any>(head.resource.aws_lb_target_group);
    tg.port = 8443;
    tg.name = "emission-webapp-8443";
    for (const att of Object.values<any>(head.resource.aws_lb_target_group_attachment)) att.port = 8443;
    const a = analyze(diffStacks({ production: lbStack }, { production: head }));
    expect(a.danger).toEqual([]);
    expect(a.serviceAffecting.map((d) => [d.action, d.address.split(".")[0], d.forcedBy])).toEqual([["replace", "production:aws_lb_target_group", ["name", "port"]]]);
    const attachments = a.groups.flatMap((g) => g.resources).filter((r) => r.type === "aws_lb_target_group_attachment");
    expect(attachments.map((r) => [r.action, r.forcedBy])).toEqual([["replace", ["port", "target_group_arn"]]]);
  });

  test("turning the load balancer off destroys its parts: listed as service-affecting", () => {
    const a = analyze(diffStacks({ production: lbStack }, { production: productionStack() }));
    expect(a.serviceAffecting.filter((d) => d.action === "destroy").map((d) => d.address.split(".")[0]).sort()).toEqual([
      "production:aws_lb",
      "production:aws_lb_listener",
      "production:aws_lb_listener",
      "production:aws_lb_target_group",
    ]);
  });
});
