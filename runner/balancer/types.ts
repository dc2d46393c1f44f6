/**
 * The load balancer a rolling deploy takes each batch out of, as one small interface: the
 * strategy (runner/rolling.ts) calls `drain` before a batch changes and `restore` after its
 * health gates passed. Which implementation an environment gets is runner/balancer/index.ts:
 * none, `aws` (the target group through the AWS API — it cannot run in the lab) or `lab` (the
 * lab's stand-in: an nginx upstream on the bastion).
 */
import type { InventoryHost } from "../inventory";

export interface Balancer {
  /** "aws target group arn:…", "lab nginx upstream on the bastion": said in progress lines */
  readonly name: string;
  /** take these hosts out of rotation, and return once no new request goes to them */
  drain(hosts: InventoryHost[]): Promise<void>;
  /** put them back, and return once they receive requests again */
  restore(hosts: InventoryHost[]): Promise<void>;
}
