/**
 * Attributes whose change makes Terraform replace the resource (ForceNew in the AWS
 * provider 6.x schema), for reviews built without a real plan (`review --synth-diff`).
 * One line each: the resource type, the attributes, and why it matters here.
 */
export const FORCE_NEW: Record<string, { attributes: string[]; why: string }> = {
  aws_instance: { attributes: ["ami", "subnet_id", "availability_zone", "private_ip", "key_name", "ipv6_address_count", "associate_public_ip_address", "placement_group", "tenancy"], why: "a new instance: its root disk and everything on it go" },
  aws_ebs_volume: { attributes: ["availability_zone", "encrypted", "kms_key_id", "snapshot_id", "outpost_arn"], why: "a new, empty volume" },
  aws_volume_attachment: { attributes: ["device_name", "instance_id", "volume_id"], why: "the volume is detached and attached again" },
  aws_subnet: { attributes: ["cidr_block", "vpc_id", "availability_zone", "availability_zone_id"], why: "a new subnet: every instance in it is replaced" },
  aws_vpc: { attributes: ["cidr_block", "instance_tenancy"], why: "a new VPC: everything in it is replaced" },
  aws_security_group: { attributes: ["name", "name_prefix", "vpc_id", "description"], why: "a new group: rules and attachments are recreated" },
  aws_vpc_security_group_ingress_rule: { attributes: ["security_group_id"], why: "the rule moves to another group" },
  aws_vpc_security_group_egress_rule: { attributes: ["security_group_id"], why: "the rule moves to another group" },
  aws_nat_gateway: { attributes: ["subnet_id", "allocation_id", "connectivity_type"], why: "a new NAT gateway: private hosts lose egress meanwhile" },
  aws_eip: { attributes: ["domain", "address"], why: "a new public address" },
  aws_key_pair: { attributes: ["key_name", "public_key"], why: "a new key pair" },
  aws_route: { attributes: ["route_table_id", "destination_cidr_block", "destination_ipv6_cidr_block"], why: "the route is recreated" },
  aws_iam_role: { attributes: ["name", "path"], why: "a new role" },
  aws_egress_only_internet_gateway: { attributes: ["vpc_id"], why: "a new gateway" },
  aws_route_table_association: { attributes: ["subnet_id", "gateway_id"], why: "the association is recreated" },
  aws_lb: { attributes: ["name", "name_prefix", "internal", "load_balancer_type", "customer_owned_ipv4_pool"], why: "a new load balancer: a new DNS name, requests fail meanwhile" },
  aws_lb_listener: { attributes: ["load_balancer_arn"], why: "the listener is recreated: its port refuses requests meanwhile" },
  aws_lb_target_group: { attributes: ["name", "name_prefix", "port", "protocol", "protocol_version", "target_type", "vpc_id", "ip_address_type"], why: "a new target group: its hosts register anew and wait for their health checks" },
  aws_lb_target_group_attachment: { attributes: ["target_group_arn", "target_id", "port", "availability_zone"], why: "the host is deregistered and registered again" },
  aws_dlm_lifecycle_policy: { attributes: [], why: "" },
  aws_internet_gateway: { attributes: [], why: "" },
};
