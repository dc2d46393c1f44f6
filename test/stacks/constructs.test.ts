/**
 * Each construct stands on its own narrow props (stacks/*.ts): given only what it uses, it
 * builds its names through stacks/names.ts and applies the documented `@default`s from
 * config/defaults.ts. The environment stack always passes every prop (stack.test.ts checks
 * what it builds); these tests check the constructs' own contracts.
 */
import { EgressOnlyInternetGateway, IamRole, Instance, SecurityGroup, Testing, Vpc } from "../../stacks/cdk";
import "cdktf/lib/testing/adapters/jest"; // the matchers' type declarations
import { D } from "../../config/defaults";
import { DataVolume } from "../../stacks/data-volume";
import { hostName, rootVolumeName, securityGroupName, snapshotRoleName, snapshotTagValue, volumeName } from "../../stacks/names";
import { Network } from "../../stacks/network";
import { SecurityGroups } from "../../stacks/security-groups";
import { Server } from "../../stacks/server";
import { SnapshotPolicy } from "../../stacks/snapshot-policy";
import { synthScope } from "./synth";

Testing.setupJest();

const server = { prefix: "t", amiId: "ami-1", instanceType: "t3.micro", subnetId: "subnet-1", public: false, securityGroupIds: [], keyName: "k", rootVolumeGb: 8, protect: false };

test("names.ts makes the AWS names from the prefix and the file's names", () => {
  expect([hostName("p", "webapp-2"), rootVolumeName("p", "webapp-2"), volumeName("p", "database", "data")]).toEqual(["p-webapp-2", "p-webapp-2-root", "p-database-data"]);
  expect([securityGroupName("p", "bastion"), snapshotRoleName("p"), snapshotTagValue("p")]).toEqual(["p-bastion", "p-dlm", "p-daily"]);
});

test("Server: Name tags from names.ts; tier, IPv6 and key default as documented", () => {
  const json = JSON.parse(synthScope((s) => new Server(s, "web", { ...server, name: "web" })));
  const [instance] = Object.values<any>(json.resource.aws_instance);
  expect(instance.tags).toEqual({ Name: "t-web", Tier: "bastion", Host: "web" });
  expect(instance.root_block_device.tags).toEqual({ Name: "t-web-root", Tier: "bastion" });
  expect(instance.ipv6_address_count).toBe(D.ipv6 ? 1 : undefined);
  expect(instance.root_block_device.kms_key_id).toBeUndefined();
  const v4 = synthScope((s) => new Server(s, "web", { ...server, name: "web", tier: "webapp", ipv6: false }));
  expect(v4).toHaveResourceWithProperties(Instance, { tags: { Name: "t-web", Tier: "webapp", Host: "web" } });
  expect(Object.values<any>(JSON.parse(v4).resource.aws_instance)[0].ipv6_address_count).toBeUndefined();
});

test("DataVolume: Name tag <prefix>-<host>-<volume>, the given KMS key", () => {
  const volume = { name: "data", sizeGb: 10, type: "gp3" as const, device: "/dev/sdf", mountPoint: "/data", holdsData: true };
  const json = JSON.parse(synthScope((s) => new DataVolume(s, "v", { prefix: "t", host: "database", tier: "database", volume, kmsKeyId: "key-1", availabilityZone: "az-1", instanceId: "i-1" })));
  const [ebs] = Object.values<any>(json.resource.aws_ebs_volume);
  expect(ebs.tags.Name).toBe("t-database-data");
  expect(ebs.kms_key_id).toBe("key-1");
  expect(ebs.lifecycle.prevent_destroy).toBe(true);
});

test("Network: IPv6 defaults to D.ipv6; off means no egress-only gateway", () => {
  const props = { prefix: "t", vpcCidr: "10.0.0.0/16", availabilityZones: ["az-a"], publicSubnets: ["10.0.0.0/24"], privateSubnets: ["10.0.1.0/24"] };
  const byDefault = synthScope((s) => new Network(s, "n", props));
  expect(byDefault).toHaveResourceWithProperties(Vpc, { assign_generated_ipv6_cidr_block: D.ipv6, tags: { Name: "t-vpc" } });
  const v4 = synthScope((s) => new Network(s, "n", { ...props, ipv6: false }));
  expect(v4).toHaveResourceWithProperties(Vpc, { assign_generated_ipv6_cidr_block: false });
  expect(v4).not.toHaveResource(EgressOnlyInternetGateway);
});

test("SecurityGroups: one group per given name, named through names.ts", () => {
  const out = synthScope((s) => new SecurityGroups(s, "sg", { prefix: "t", vpcId: "vpc-1", groups: ["bastion", "webapp"], rules: [] }));
  expect(out).toHaveResourceWithProperties(SecurityGroup, { name: "t-bastion", tags: { Name: "t-bastion-sg" } });
  expect(out).toHaveResourceWithProperties(SecurityGroup, { name: "t-webapp", tags: { Name: "t-webapp-sg", Tier: "webapp" } });
});

test("SnapshotPolicy: time and retention default to config/defaults.ts; names from names.ts", () => {
  const byDefault = synthScope((s) => new SnapshotPolicy(s, "p", { prefix: "t" }));
  expect(byDefault).toHaveResourceWithProperties(IamRole, { name: "t-dlm" });
  const [policy] = Object.values<any>(JSON.parse(byDefault).resource.aws_dlm_lifecycle_policy);
  expect(policy.description).toBe("t daily snapshots of data volumes");
  expect(policy.policy_details.target_tags).toEqual({ SnapshotPolicy: "t-daily" });
  expect(policy.policy_details.schedule[0].create_rule.times).toEqual([D.snapshotTime]);
  expect(policy.policy_details.schedule[0].retain_rule.count).toBe(D.snapshotRetainDays);
  const given = synthScope((s) => new SnapshotPolicy(s, "p", { prefix: "t", time: "22:30", retainDays: 30 }));
  const [schedule] = Object.values<any>(JSON.parse(given).resource.aws_dlm_lifecycle_policy)[0].policy_details.schedule;
  expect([schedule.create_rule.times, schedule.retain_rule.count]).toEqual([["22:30"], 30]);
});
