/**
 * What the second banner guards: resource types whose destruction or replacement interrupts
 * the service without losing data — the load balancer, its listeners and target groups. A
 * replaced load balancer gets a new DNS name (the service's CNAME points at the old one); a
 * replaced listener or target group leaves requests unanswered until the new one exists and
 * its hosts pass their health checks. Shown in its own section of the review, apart from the
 * data banner (stateful.ts), and with no exit code of its own: exit 3 stays "data at risk".
 */
import type { ResourceChange } from "./read";

export const SERVICE_AFFECTING: Readonly<Record<string, string>> = {
  aws_lb: "the load balancer: the service is unreachable until the new one is up, and its DNS name changes (update the service's CNAME)",
  aws_alb: "the load balancer: the service is unreachable until the new one is up, and its DNS name changes (update the service's CNAME)",
  aws_lb_listener: "a load balancer listener: requests on its port are refused until it is recreated",
  aws_alb_listener: "a load balancer listener: requests on its port are refused until it is recreated",
  aws_lb_target_group: "a target group: its hosts are registered anew and get traffic only once their health checks pass",
  aws_alb_target_group: "a target group: its hosts are registered anew and get traffic only once their health checks pass",
};

/** The sentence for a destroyed or replaced resource that interrupts the service, if any. */
export function serviceAffectingWhy(rc: ResourceChange): string | undefined {
  return SERVICE_AFFECTING[rc.type];
}
