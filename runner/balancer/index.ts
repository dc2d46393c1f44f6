/**
 * Which load balancer an environment has, from its Terraform outputs (hosts/<env>.outputs.json,
 * `loadBalancer` beside the inventory, or inside it): none (the default: nothing to drain),
 * `aws` (a target group ARN: runner/balancer/aws.ts, through the aws CLI) or `lab` (the
 * lab's stand-in nginx on the bastion: runner/balancer/lab.ts). Only plays with
 * `balancer: drain` use it (runner/rolling.ts).
 */
import * as fs from "fs";
import * as path from "path";
import type { Environment } from "../../config/environment";
import { InputError } from "../../config/errors";
import { AwsBalancer, awsCli, type AwsCli, type AwsTargetGroup } from "./aws";
import { LabBalancer, type BastionExec, type LabBalancerConfig } from "./lab";
import type { Balancer } from "./types";

export type BalancerChoice = { kind: "none" } | { kind: "aws"; tg: AwsTargetGroup } | { kind: "lab"; cfg: LabBalancerConfig };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => Boolean(v) && typeof v === "object" && !Array.isArray(v);
/** terraform output -json wraps each output as {value, type, sensitive} */
const unwrap = (v: unknown): unknown => (isObj(v) && "value" in v && "type" in v ? v.value : v);

/** The inventory output and a `loadBalancer` output, in either outputs shape (runner/inventory.ts). */
function find(outputs: unknown): { inventory?: Obj; lb?: Obj } {
  if (!isObj(outputs)) return {};
  const scopes: Obj[] = [outputs, ...Object.values(outputs).filter(isObj).filter((o) => "inventory" in o)];
  for (const s of scopes) {
    const inv = unwrap(s.inventory);
    const lb = unwrap(s.loadBalancer ?? s.load_balancer) ?? (isObj(inv) ? inv.loadBalancer : undefined);
    if (isObj(inv) || isObj(lb)) return { inventory: isObj(inv) ? inv : undefined, lb: isObj(lb) ? lb : undefined };
  }
  return {};
}

const absPath = (v: unknown): v is string => typeof v === "string" && v.startsWith("/") && !/['\n\0]/.test(v);

/** The environment's balancer, from its outputs (pure: tests give it outputs). */
export function chooseBalancer(env: Pick<Environment, "region" | "platform">, outputs: unknown, file = "outputs"): BalancerChoice {
  const { inventory, lb } = find(outputs);
  if (!lb) return { kind: "none" };
  if (lb.kind === "lab") {
    if (env.platform !== "lab") throw new InputError(file, 0, 0, "loadBalancer.kind", "the lab's stand-in balancer is for the lab environment only");
    if (!absPath(lb.upstreamFile) || !absPath(lb.nginxConf)) throw new InputError(file, 0, 0, "loadBalancer", "expected upstreamFile and nginxConf (absolute paths) for the lab's stand-in balancer");
    return { kind: "lab", cfg: { upstreamFile: lb.upstreamFile, nginxConf: lb.nginxConf } };
  }
  const arn = lb.targetGroupArn ?? lb.target_group_arn;
  if (typeof arn !== "string" || !arn) return { kind: "none" };
  if (!/^arn:aws[\w-]*:elasticloadbalancing:[\w-]+:\d{12}:targetgroup\/[\w-]+\/[0-9a-f]+$/.test(arn)) throw new InputError(file, 0, 0, "loadBalancer.targetGroupArn", `expected a target group ARN, got ${JSON.stringify(arn)}`);
  const hosts = isObj(inventory?.hosts) ? (inventory!.hosts as Obj) : {};
  const instanceIds = Object.fromEntries(Object.entries(hosts).flatMap(([n, h]) => (isObj(h) && typeof h.instanceId === "string" ? [[n, h.instanceId]] : [])));
  const targetType = lb.targetType === "instance" || (lb.targetType === undefined && Object.keys(instanceIds).length) ? "instance" : "ip";
  const port = typeof lb.targetPort === "number" ? lb.targetPort : undefined;
  return { kind: "aws", tg: { targetGroupArn: arn, region: arn.split(":")[3] || env.region, targetType, instanceIds, ...(port ? { port } : {}) } };
}

export function readOutputsJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined; // runner/inventory.ts reports an unreadable outputs file
  }
}

/** `aws` on PATH (the way runner/balancer/aws.ts calls the AWS API). */
export function onPath(program: string, pathVar = process.env.PATH ?? ""): boolean {
  return pathVar.split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d || ".", program), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface BalancerDeps {
  /** a command on the bastion (the lab's stand-in edits its upstream file there) */
  bastionExec: BastionExec;
  cli?: AwsCli;
  /** is the aws CLI there (default: on PATH) */
  hasAwsCli?: () => boolean;
}

/**
 * The Balancer for a choice; undefined for none. An AWS balancer with no way to call AWS is
 * refused here, before anything is sent (one line, exit 1).
 */
export function makeBalancer(choice: BalancerChoice, deps: BalancerDeps): Balancer | undefined {
  switch (choice.kind) {
    case "none":
      return undefined;
    case "lab":
      return new LabBalancer(choice.cfg, deps.bastionExec);
    case "aws":
      if (!deps.cli && !(deps.hasAwsCli ?? (() => onPath("aws")))())
        throw new InputError("argument", 0, 0, "balancer", `the environment has a load balancer (${choice.tg.targetGroupArn}) and a play drains it, but there is no way to call the AWS API here: install the aws CLI (v2) with credentials, or run with --check`);
      return new AwsBalancer(choice.tg, deps.cli ?? awsCli);
  }
}
