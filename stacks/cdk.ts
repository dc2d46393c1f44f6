/**
 * The one module that names the CDK packages: every stack file, main.ts and the stack tests
 * import cdktf, constructs and the AWS provider's classes from here, never from the packages.
 * Deep provider imports only (`@cdktf/provider-aws/lib/<resource>`): the provider's index
 * loads every resource of AWS and costs seconds at every synth.
 *
 * Moving to the maintained fork (cdktn 0.24 with @cdktn/provider-aws 25.x; it synthesizes these
 * stacks resource-for-resource identically apart from the provider version, its CLI needs
 * Node >= 22) is this file plus package.json.
 */
export { App, Fn, LocalBackend, S3Backend, TerraformOutput, TerraformStack, Testing } from "cdktf";
/** the logical-id function cdktf names resources with (stacks/identities.ts rebuilds old addresses) */
export { makeUniqueId } from "cdktf/lib/private/unique";
export { Construct } from "constructs";
export { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
export { DefaultNetworkAcl } from "@cdktf/provider-aws/lib/default-network-acl";
export { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
export { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
export { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
export { EgressOnlyInternetGateway } from "@cdktf/provider-aws/lib/egress-only-internet-gateway";
export { Eip } from "@cdktf/provider-aws/lib/eip";
export { IamRole } from "@cdktf/provider-aws/lib/iam-role";
export { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
export { Instance } from "@cdktf/provider-aws/lib/instance";
export { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
export { KeyPair } from "@cdktf/provider-aws/lib/key-pair";
export { Lb } from "@cdktf/provider-aws/lib/lb";
export { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
export { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
export { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
export { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
export { AwsProvider } from "@cdktf/provider-aws/lib/provider";
export { Route } from "@cdktf/provider-aws/lib/route";
export { RouteTable } from "@cdktf/provider-aws/lib/route-table";
export { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
export { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
export { Subnet } from "@cdktf/provider-aws/lib/subnet";
export { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
export { Vpc } from "@cdktf/provider-aws/lib/vpc";
export { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
export { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
