/**
 * Plans built from our own synthesized production stack, shaped like `terraform show -json`
 * (the real plans in ../shared are read from there by the tests, never copied).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { loadEnvironmentFile } from "../../config/load";
import type { ResourceChange, TerraformPlan } from "../../review/read";
import { synthEnv } from "../stacks/synth";
import { behindLoadBalancer } from "../stacks/variants";

export const ROOT = path.join(__dirname, "..", "..");
export const SHARED_PLANS = path.join(ROOT, "..", "shared", "reference", "plans");

export function productionStack() {
  return synthEnv(loadEnvironmentFile(path.join(ROOT, "hosts", "production.yaml"))).json;
}

/** Production with its webapp tier behind a load balancer (two zones, webapp private), synthesized. */
export function loadBalancerStack() {
  const doc = parse(fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8"));
  behindLoadBalancer(doc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-lb-"));
  try {
    fs.writeFileSync(path.join(dir, "production.yaml"), stringify(doc));
    return synthEnv(loadEnvironmentFile(path.join(dir, "production.yaml"))).json;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function find(stack: any, type: string, pred: (c: any) => boolean): [string, any] {
  const hit = Object.entries(stack.resource[type] ?? {}).find(([, c]) => pred(c));
  if (!hit) throw new Error(`no ${type} matching`);
  return hit as [string, any];
}

/** The data volume moves to another AZ: Terraform replaces it. */
export function volumeReplacedPlan(stack: any): TerraformPlan {
  const [name, vol] = find(stack, "aws_ebs_volume", (c) => c.tags?.Name === "emission-database-data");
  const before = { ...clone(vol), id: "vol-0123456789abcdef0", lifecycle: undefined };
  const after = { ...clone(vol), availability_zone: "us-east-1a", lifecycle: undefined };
  const rc: ResourceChange = {
    address: `aws_ebs_volume.${name}`,
    mode: "managed",
    type: "aws_ebs_volume",
    name,
    change: { actions: ["delete", "create"], before, after, after_unknown: { id: true, arn: true }, before_sensitive: {}, after_sensitive: {}, replace_paths: [["availability_zone"]] },
    action_reason: "replace_because_cannot_update",
  };
  return { format_version: "1.2", terraform_version: "1.11.0", resource_changes: [rc] };
}

/** Someone opens SSH on the webapp group to the world. */
export function groupWidenedPlan(): TerraformPlan {
  const rc: ResourceChange = {
    address: "aws_vpc_security_group_ingress_rule.security_webapp-in-tcp-22-world",
    mode: "managed",
    type: "aws_vpc_security_group_ingress_rule",
    name: "security_webapp-in-tcp-22-world",
    change: {
      actions: ["create"],
      before: null,
      after: { ip_protocol: "tcp", from_port: 22, to_port: 22, cidr_ipv4: "0.0.0.0/0", description: "temporary", tags: null },
      after_unknown: { id: true, security_group_id: true, arn: true },
      before_sensitive: false,
      after_sensitive: {},
    },
  };
  return { format_version: "1.2", resource_changes: [rc] };
}

/** Only a tag changes on the webapp instance. */
export function tagOnlyPlan(stack: any): TerraformPlan {
  const [name, inst] = find(stack, "aws_instance", (c) => c.tags?.Tier === "webapp");
  const before = { ...clone(inst), id: "i-0abc", lifecycle: undefined, tags: { ...inst.tags } };
  const after = { ...clone(inst), id: "i-0abc", lifecycle: undefined, tags: { ...inst.tags, Owner: "research-it" } };
  return {
    format_version: "1.2",
    resource_changes: [{ address: `aws_instance.${name}`, mode: "managed", type: "aws_instance", name, change: { actions: ["update"], before, after, after_unknown: {}, before_sensitive: { user_data: true }, after_sensitive: { user_data: true } } }],
    output_changes: { bastion_public_ip: { actions: ["no-op"], before: "198.51.100.7", after: "198.51.100.7" } },
  };
}

/** A plan with `n` resources to create (for the comment size limit). */
export function hugePlan(n: number, stack: any): TerraformPlan {
  const replaced = volumeReplacedPlan(stack).resource_changes![0];
  const rcs: ResourceChange[] = [replaced];
  for (let i = 0; i < n - 1; i++)
    rcs.push({
      address: `aws_vpc_security_group_egress_rule.rule_${i}`,
      mode: "managed",
      type: "aws_vpc_security_group_egress_rule",
      name: `rule_${i}`,
      change: { actions: ["create"], before: null, after: { ip_protocol: "tcp", from_port: 1000 + i, to_port: 1000 + i, cidr_ipv4: "10.0.0.0/8", description: `generated rule number ${i}`, tags: { Tier: i % 2 ? "webapp" : "analysis" } }, after_unknown: { id: true, security_group_id: true } },
    });
  return { format_version: "1.2", resource_changes: rcs };
}

/** Replacing a resource of the stack as `terraform show -json` says it (`cbd`: create_before_destroy order). */
function replaced(stack: any, type: string, pred: (c: any) => boolean, change: Record<string, unknown>, paths: string[][], cbd = false): ResourceChange {
  const [name, conf] = find(stack, type, pred);
  const before = { ...clone(conf), id: `${type}-old`, lifecycle: undefined };
  const after = { ...clone(conf), ...change, lifecycle: undefined };
  return {
    address: `${type}.${name}`,
    mode: "managed",
    type,
    name,
    change: { actions: cbd ? ["create", "delete"] : ["delete", "create"], before, after, after_unknown: { id: true, arn: true }, before_sensitive: {}, after_sensitive: {}, replace_paths: paths },
    action_reason: "replace_because_cannot_update",
  };
}

/** The load balancer made internal (force-new) and its target group moved to port 8443 (force-new, created before the old one goes). */
export function loadBalancerReplacedPlan(lbStack: any): TerraformPlan {
  return {
    format_version: "1.2",
    terraform_version: "1.11.0",
    resource_changes: [
      replaced(lbStack, "aws_lb", () => true, { internal: true }, [["internal"]]),
      replaced(lbStack, "aws_lb_target_group", () => true, { port: 8443, name: "emission-webapp-8443" }, [["name"], ["port"]], true),
    ],
  };
}
