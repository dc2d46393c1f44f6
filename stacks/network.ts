/**
 * The VPC and everything that routes: public and private subnets per availability zone,
 * internet gateway, NAT gateway + EIP (in the first public subnet), egress-only internet
 * gateway for IPv6, route tables, the default network ACL (IPv4 and IPv6 entries) and the
 * default security group left with no rules.
 *
 * Fixes against the reference template: IPv6 is done end to end (VPC /56, a /64 per subnet
 * assigned on creation, ACL entries for ::/0), DNS hostnames on, NAT and EIP wait for the IGW.
 */
import { Construct, DefaultNetworkAcl, DefaultSecurityGroup, EgressOnlyInternetGateway, Eip, Fn, InternetGateway, NatGateway, Route, RouteTable, RouteTableAssociation, Subnet, Vpc } from "./cdk";
import { D } from "../config/defaults";
import { tags } from "./names";

export interface NetworkProps {
  /** the environment's prefix: every Name tag starts with it (stacks/names.ts) */
  readonly prefix: string;
  /** the VPC's IPv4 CIDR */
  readonly vpcCidr: string;
  /** one public and one private subnet per zone, in this order */
  readonly availabilityZones: readonly string[];
  /** IPv4 CIDR of the public subnet in each zone */
  readonly publicSubnets: readonly string[];
  /** IPv4 CIDR of the private subnet in each zone */
  readonly privateSubnets: readonly string[];
  /**
   * Amazon-provided IPv6 end to end (VPC /56, a /64 per subnet, ::/0 routes and ACL entries).
   * @default D.ipv6 (config/defaults.ts)
   */
  readonly ipv6?: boolean;
}

/** IPv6 /64 index of a subnet inside the VPC's /56: public from 0, private from 128. */
const IPV6_PRIVATE_OFFSET = 128;

export class Network extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: Subnet[] = [];
  readonly privateSubnets: Subnet[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { prefix, availabilityZones: azs } = props;
    const ipv6 = props.ipv6 ?? D.ipv6;
    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      assignGeneratedIpv6CidrBlock: ipv6,
      tags: tags(prefix, "vpc"),
    });
    const subnet = (kind: "public" | "private", cidr: string, i: number) =>
      new Subnet(this, `${kind}-subnet-${azs[i]}`, {
        vpcId: this.vpc.id,
        cidrBlock: cidr,
        availabilityZone: azs[i],
        mapPublicIpOnLaunch: false,
        ...(ipv6
          ? { ipv6CidrBlock: Fn.cidrsubnet(this.vpc.ipv6CidrBlock, 8, (kind === "private" ? IPV6_PRIVATE_OFFSET : 0) + i), assignIpv6AddressOnCreation: true }
          : {}),
        tags: tags(prefix, `${kind}-${azs[i]}`, { Tier: kind }),
      });
    props.publicSubnets.forEach((c, i) => this.publicSubnets.push(subnet("public", c, i)));
    props.privateSubnets.forEach((c, i) => this.privateSubnets.push(subnet("private", c, i)));

    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: tags(prefix, "igw") });
    const natEip = new Eip(this, "nat-eip", { domain: "vpc", dependsOn: [igw], tags: tags(prefix, "nat-eip") });
    const nat = new NatGateway(this, "nat", {
      allocationId: natEip.allocationId,
      subnetId: this.publicSubnets[0].id,
      dependsOn: [igw],
      tags: tags(prefix, "nat"),
    });
    const eigw = ipv6 ? new EgressOnlyInternetGateway(this, "eigw", { vpcId: this.vpc.id, tags: tags(prefix, "eigw") }) : undefined;

    const publicRt = new RouteTable(this, "public-rt", { vpcId: this.vpc.id, tags: tags(prefix, "public-rt") });
    new Route(this, "public-default-v4", { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });
    if (ipv6) new Route(this, "public-default-v6", { routeTableId: publicRt.id, destinationIpv6CidrBlock: "::/0", gatewayId: igw.id });
    const privateRt = new RouteTable(this, "private-rt", { vpcId: this.vpc.id, tags: tags(prefix, "private-rt") });
    new Route(this, "private-default-v4", { routeTableId: privateRt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id });
    if (eigw) new Route(this, "private-default-v6", { routeTableId: privateRt.id, destinationIpv6CidrBlock: "::/0", egressOnlyGatewayId: eigw.id });
    this.publicSubnets.forEach((s, i) => new RouteTableAssociation(this, `public-rta-${azs[i]}`, { routeTableId: publicRt.id, subnetId: s.id }));
    this.privateSubnets.forEach((s, i) => new RouteTableAssociation(this, `private-rta-${azs[i]}`, { routeTableId: privateRt.id, subnetId: s.id }));

    // Stateless filtering stays permissive (security groups do the real work) but covers IPv6,
    // which the reference template's ACL forgot.
    const entry = (ruleNo: number, v6: boolean) => ({
      ruleNo,
      action: "allow",
      protocol: "-1",
      fromPort: 0,
      toPort: 0,
      ...(v6 ? { ipv6CidrBlock: "::/0" } : { cidrBlock: "0.0.0.0/0" }),
    });
    const entries = ipv6 ? [entry(100, false), entry(101, true)] : [entry(100, false)];
    new DefaultNetworkAcl(this, "default-acl", {
      defaultNetworkAclId: this.vpc.defaultNetworkAclId,
      subnetIds: [...this.publicSubnets, ...this.privateSubnets].map((s) => s.id),
      ingress: entries,
      egress: entries,
      tags: tags(prefix, "acl"),
    });
    // Managed with no rules at all: nothing can use the default group by accident.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, ingress: [], egress: [], tags: tags(prefix, "default-sg-unused") });
  }
}
