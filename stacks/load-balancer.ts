/**
 * The Application Load Balancer in front of one tier: internet-facing in the public subnets
 * (two zones or more, as AWS requires), HTTPS on 443 with the environment's ACM certificate
 * and a TLS 1.2+ policy, HTTP on 80 answered with a 301 to HTTPS, and a target group of the
 * tier's hosts on the target port over HTTPS — TLS is re-encrypted to nginx on the hosts
 * (README "Decisions"), so personal data never crosses the VPC in clear.
 *
 * Identities follow the hosts: one attachment per host, keyed by its stable host name
 * (`target-webapp-2`), so growing or shrinking the tier attaches or detaches only the hosts
 * that come or go. The target group's name carries its port and it is created before the old
 * one is destroyed, so changing the port swaps groups under the listener without a gap.
 */
import { Construct, Lb, LbListener, LbTargetGroup, LbTargetGroupAttachment } from "./cdk";
import { D } from "../config/defaults";
import { loadBalancerName, tags, targetGroupName } from "./names";

/** What the health check requests; the defaults are config/load-balancer.ts's. */
export interface HealthCheckProps {
  readonly path: string;
  /** @default - the target port ("traffic-port") */
  readonly port?: number;
  readonly interval: number;
  readonly timeout: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** One host the load balancer sends requests to. */
export interface LoadBalancerTarget {
  /** stable host name, e.g. webapp-2: the attachment's identity */
  readonly host: string;
  readonly instanceId: string;
}

export interface LoadBalancerProps {
  /** the environment's prefix: names and Name tags start with it (stacks/names.ts) */
  readonly prefix: string;
  /** the tier behind it (its target group's name and Tier tag) */
  readonly tier: string;
  readonly vpcId: string;
  /** public subnets, one per zone (at least two) */
  readonly subnetIds: readonly string[];
  /** the load balancer's own group (load-balancer-rules.ts) */
  readonly securityGroupId: string;
  /** ACM certificate of the HTTPS listener */
  readonly certificateArn: string;
  /** predefined ELBSecurityPolicy of the HTTPS listener */
  readonly sslPolicy: string;
  /** the hosts' port: nginx's HTTPS */
  readonly targetPort: number;
  /** seconds a deregistered host drains */
  readonly deregistrationDelay: number;
  readonly healthCheck: HealthCheckProps;
  /**
   * dual-stack (IPv4 and IPv6) listeners; the subnets must have IPv6 ranges
   * @default D.ipv6 (config/defaults.ts)
   */
  readonly ipv6?: boolean;
  readonly targets: readonly LoadBalancerTarget[];
}

export class LoadBalancer extends Construct {
  readonly lb: Lb;
  readonly targetGroup: LbTargetGroup;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const { prefix, tier, healthCheck: hc } = props;
    this.lb = new Lb(this, "alb", {
      name: loadBalancerName(prefix),
      loadBalancerType: "application",
      internal: false,
      ipAddressType: (props.ipv6 ?? D.ipv6) ? "dualstack" : "ipv4",
      subnets: [...props.subnetIds],
      securityGroups: [props.securityGroupId],
      // malformed headers never reach e-mission
      dropInvalidHeaderFields: true,
      tags: tags(prefix, "alb"),
    });
    this.targetGroup = new LbTargetGroup(this, `tg-${tier}`, {
      name: targetGroupName(prefix, tier, props.targetPort),
      targetType: "instance",
      protocol: "HTTPS",
      port: props.targetPort,
      vpcId: props.vpcId,
      deregistrationDelay: String(props.deregistrationDelay),
      healthCheck: {
        enabled: true,
        protocol: "HTTPS",
        path: hc.path,
        port: hc.port === undefined ? "traffic-port" : String(hc.port),
        interval: hc.interval,
        timeout: hc.timeout,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
        matcher: "200",
      },
      tags: tags(prefix, `${tier}-tg`, { Tier: tier }),
      lifecycle: { createBeforeDestroy: true },
    });
    new LbListener(this, "https", {
      loadBalancerArn: this.lb.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: props.sslPolicy,
      certificateArn: props.certificateArn,
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      tags: tags(prefix, "alb-https"),
    });
    new LbListener(this, "http", {
      loadBalancerArn: this.lb.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags: tags(prefix, "alb-http"),
    });
    for (const t of props.targets)
      new LbTargetGroupAttachment(this, `target-${t.host}`, { targetGroupArn: this.targetGroup.arn, targetId: t.instanceId, port: props.targetPort });
  }
}
