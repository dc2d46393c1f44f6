/**
 * One security group for the bastion and one per tier, with every rule a separate
 * `aws_vpc_security_group_{ingress,egress}_rule` (never mixed with inline rules: the AWS
 * provider documents that the two fight over the same group, each undoing the other).
 * The groups declare no inline egress, and the AWS provider removes AWS's default
 * allow-all egress rule from a group it creates — so the only egress is what rules.ts lists,
 * which is exactly the reference template's flaw fixed.
 */
import { Construct, SecurityGroup, VpcSecurityGroupEgressRule, VpcSecurityGroupIngressRule } from "./cdk";
import { isIpv6, securityGroupName, securityGroupTagName } from "./names";
import { BASTION, ruleId, type GroupName, type Rule } from "./rules";


export interface SecurityGroupsProps {
  /** the environment's prefix: group names and Name tags start with it (stacks/names.ts) */
  readonly prefix: string;
  readonly vpcId: string;
  /** one group each: "bastion" and every tier */
  readonly groups: readonly GroupName[];
  /**
   * more groups that are no tier's (no Tier tag), by name, with their description: the load
   * balancer's "alb"
   * @default - none
   */
  readonly otherGroups?: Readonly<Record<GroupName, string>>;
  /** every rule of every group (rules.ts `securityRules`) */
  readonly rules: readonly Rule[];
}

export class SecurityGroups extends Construct {
  /** group name ("bastion" or a tier) -> security group */
  readonly groups: Record<string, SecurityGroup> = {};

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const { prefix, vpcId } = props;
    const own: Record<string, string> = { [BASTION]: "SSH hop host: SSH from the operators only", ...props.otherGroups };
    for (const name of [...props.groups, ...Object.keys(props.otherGroups ?? {})]) {
      this.groups[name] = new SecurityGroup(this, `${name}-sg`, {
        name: securityGroupName(prefix, name),
        description: own[name] ?? `${name} tier`,
        vpcId,
        revokeRulesOnDelete: true,
        tags: { Name: securityGroupTagName(prefix, name), ...(own[name] ? {} : { Tier: name }) },
      });
    }
    for (const r of props.rules) {
      const common = {
        securityGroupId: this.groups[r.group].id,
        ipProtocol: r.protocol,
        fromPort: r.fromPort,
        toPort: r.toPort,
        description: r.description,
        ...(r.peerGroup ? { referencedSecurityGroupId: this.groups[r.peerGroup].id } : isIpv6(r.cidr!) ? { cidrIpv6: r.cidr } : { cidrIpv4: r.cidr }),
      };
      if (r.direction === "ingress") new VpcSecurityGroupIngressRule(this, ruleId(r), common);
      else new VpcSecurityGroupEgressRule(this, ruleId(r), common);
    }
  }
}
