/**
 * The AWS load balancer's target group, through the `aws` CLI (elbv2): drain =
 * deregister-targets, then `wait target-deregistered` (the deregistration delay lets requests
 * in flight finish); restore = register-targets, then `wait target-in-service` (the target
 * group's own health check passes). The official SDK (@aws-sdk/client-elastic-load-balancing-v2)
 * is not a dependency of the project, so the CLI it is: its argv holds only the target group
 * ARN, target ids and the region — credentials come from the CLI's usual chain (environment,
 * profile, instance role), never from the runner. This step cannot run in the lab (no AWS
 * API here): test/runner/balancer.test.ts checks the argv against a stand-in `aws` on PATH.
 */
import { execFile } from "child_process";
import type { InventoryHost } from "../inventory";
import type { Balancer } from "./types";

export interface AwsTargetGroup {
  targetGroupArn: string;
  region: string;
  /** `ip` targets are the hosts' private addresses; `instance` targets their instance ids */
  targetType: "ip" | "instance";
  /** host name -> instance id (from the outputs), for `instance` targets */
  instanceIds: Record<string, string>;
  /** target port (default: the target group's) */
  port?: number;
}

/** Runs `aws <args>`; rejects with the CLI's last line of stderr. */
export type AwsCli = (args: string[]) => Promise<string>;

export const awsCli: AwsCli = (args) =>
  new Promise((resolve, reject) =>
    execFile("aws", args, { timeout: 15 * 60_000, maxBuffer: 1 << 20, env: process.env }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const why = (stderr || err.message).trim().split("\n").filter(Boolean).pop() ?? "failed";
      reject(new Error(`aws ${args[0]} ${args[1] ?? ""}: ${why}`));
    }),
  );

export class AwsBalancer implements Balancer {
  readonly name: string;
  constructor(private readonly tg: AwsTargetGroup, private readonly cli: AwsCli = awsCli) {
    this.name = `target group ${tg.targetGroupArn.split(":").pop()?.split("/")[1] ?? tg.targetGroupArn}`;
  }

  /** `Id=10.0.1.5,Port=443` per host */
  targets(hosts: InventoryHost[]): string[] {
    return hosts.map((h) => {
      const id = this.tg.targetType === "instance" ? this.tg.instanceIds[h.name] : h.privateIp;
      if (!id) throw new Error(`no instance id for ${h.name} in the outputs (the target group registers instances)`);
      return `Id=${id}${this.tg.port ? `,Port=${this.tg.port}` : ""}`;
    });
  }

  private argv(verb: string, hosts: InventoryHost[]): string[] {
    return ["elbv2", verb, "--region", this.tg.region, "--target-group-arn", this.tg.targetGroupArn, "--targets", ...this.targets(hosts)];
  }

  async drain(hosts: InventoryHost[]): Promise<void> {
    await this.cli(this.argv("deregister-targets", hosts));
    await this.cli(["elbv2", "wait", "target-deregistered", ...this.argv("x", hosts).slice(2)]);
  }

  async restore(hosts: InventoryHost[]): Promise<void> {
    await this.cli(this.argv("register-targets", hosts));
    await this.cli(["elbv2", "wait", "target-in-service", ...this.argv("x", hosts).slice(2)]);
  }
}
