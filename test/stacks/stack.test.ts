import { AwsProvider, DataAwsAmi, DefaultSecurityGroup, DlmLifecyclePolicy, EbsVolume, EgressOnlyInternetGateway, Eip, Instance, KeyPair, NatGateway, Subnet, Testing, VolumeAttachment, Vpc } from "../../stacks/cdk";
import "cdktf/lib/testing/adapters/jest"; // the matchers' type declarations
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { ROOT, synthEnv, synthFile, type Synth } from "./synth";

Testing.setupJest();

let prod: Synth;
let staging: Synth;
beforeAll(() => {
  prod = synthFile("production");
  staging = synthFile("staging");
});

/** security-group rules as readable tuples: [group, dir, proto, from, to, peer] */
function rules(s: Synth): string[] {
  const sgName = (ref: string) => {
    const id = /aws_security_group\.([^.]+)\.id/.exec(ref)?.[1];
    return id ? `sg:${s.json.resource.aws_security_group[id].name.replace(`${s.env.prefix}-`, "")}` : ref;
  };
  return ["ingress", "egress"].flatMap((dir) =>
    s.of(`aws_vpc_security_group_${dir}_rule`).map(([, r]) =>
      [sgName(r.security_group_id), dir, r.ip_protocol, r.from_port, r.to_port, r.referenced_security_group_id ? sgName(r.referenced_security_group_id) : (r.cidr_ipv4 ?? r.cidr_ipv6)].join(" "),
    ),
  );
}

describe("network", () => {
  test("VPC with DNS support and hostnames and an Amazon IPv6 block", () => {
    expect(prod.text).toHaveResourceWithProperties(Vpc, { cidr_block: "192.168.0.0/16", enable_dns_support: true, enable_dns_hostnames: true, assign_generated_ipv6_cidr_block: true });
    expect(staging.text).toHaveResourceWithProperties(Vpc, { cidr_block: "10.20.0.0/16", assign_generated_ipv6_cidr_block: false });
  });

  test("public and private subnets with a /64 each, assigned on creation", () => {
    expect(prod.text).toHaveResourceWithProperties(Subnet, { cidr_block: "192.168.0.0/24", availability_zone: "us-east-1d", assign_ipv6_address_on_creation: true });
    const subnets = prod.of("aws_subnet").map(([, s]) => [s.cidr_block, s.ipv6_cidr_block.replace(/aws_vpc\.[\w-]+\./, "VPC.")]);
    expect(subnets.sort()).toEqual([
      ["192.168.0.0/24", "${cidrsubnet(VPC.ipv6_cidr_block, 8, 0)}"],
      ["192.168.1.0/24", "${cidrsubnet(VPC.ipv6_cidr_block, 8, 128)}"],
    ]);
  });

  test("NAT gateway and its EIP depend on the internet gateway; EIP domain vpc", () => {
    expect(prod.text).toHaveResourceWithProperties(Eip, { domain: "vpc" });
    const [[, nat]] = prod.of("aws_nat_gateway");
    const [[, eip]] = prod.of("aws_eip");
    const [[igw]] = prod.of("aws_internet_gateway");
    expect(nat.depends_on).toEqual([`aws_internet_gateway.${igw}`]);
    expect(eip.depends_on).toEqual([`aws_internet_gateway.${igw}`]);
    expect(prod.text).toHaveResource(NatGateway);
    expect(prod.text).toHaveResource(EgressOnlyInternetGateway);
    expect(staging.text).not.toHaveResource(EgressOnlyInternetGateway);
  });

  test("routes: public to the IGW, private to NAT (v4) and egress-only IGW (v6)", () => {
    const routes = prod.of("aws_route").map(([, r]) => [r.destination_cidr_block ?? r.destination_ipv6_cidr_block, Object.keys(r).find((k) => /gateway_id$/.test(k))]);
    expect(routes.map((r) => r.join(" ")).sort()).toEqual(["0.0.0.0/0 gateway_id", "0.0.0.0/0 nat_gateway_id", "::/0 egress_only_gateway_id", "::/0 gateway_id"]);
    expect(prod.of("aws_route_table_association")).toHaveLength(2);
  });

  test("default security group managed with no rules; default ACL covers IPv6", () => {
    expect(prod.text).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
    const [[, acl]] = prod.of("aws_default_network_acl");
    expect(acl.ingress.map((e: any) => e.ipv6_cidr_block ?? e.cidr_block)).toEqual(["0.0.0.0/0", "::/0"]);
    expect(acl.subnet_ids).toHaveLength(2);
  });
});

describe("security groups", () => {
  test("one group per tier plus the bastion; no inline rules", () => {
    const groups = prod.of("aws_security_group").map(([, g]) => g);
    expect(groups.map((g) => g.name).sort()).toEqual(["emission-analysis", "emission-bastion", "emission-database", "emission-monitoring", "emission-notebook", "emission-webapp"]);
    for (const g of groups) {
      expect(g.ingress).toBeUndefined();
      expect(g.egress).toBeUndefined();
    }
  });

  test("database accepts 27017 only from the app tiers and SSH only from the bastion", () => {
    const db = rules(prod).filter((r) => r.startsWith("sg:database ingress"));
    expect(db.sort()).toEqual([
      "sg:database ingress tcp 22 22 sg:bastion",
      "sg:database ingress tcp 27017 27017 sg:analysis",
      "sg:database ingress tcp 27017 27017 sg:notebook",
      "sg:database ingress tcp 27017 27017 sg:webapp",
      "sg:database ingress tcp 9100 9100 sg:monitoring", // node exporter: the monitoring tier only
    ]);
  });

  test("SSH: bastion from the operators only, everything else from the bastion only", () => {
    const ssh = rules(prod).filter((r) => / ingress tcp 22 22 /.test(r));
    expect(ssh.sort()).toEqual([
      "sg:analysis ingress tcp 22 22 sg:bastion",
      "sg:bastion ingress tcp 22 22 203.0.113.0/24",
      "sg:database ingress tcp 22 22 sg:bastion",
      "sg:monitoring ingress tcp 22 22 sg:bastion",
      "sg:notebook ingress tcp 22 22 sg:bastion",
      "sg:webapp ingress tcp 22 22 sg:bastion",
    ]);
  });

  test("webapp serves 443 and 80; notebook serves nothing publicly", () => {
    const web = rules(prod).filter((r) => r.startsWith("sg:webapp ingress") && !r.includes(" 22 "));
    expect(web.sort()).toEqual(["sg:webapp ingress tcp 443 443 0.0.0.0/0", "sg:webapp ingress tcp 443 443 ::/0", "sg:webapp ingress tcp 80 80 0.0.0.0/0", "sg:webapp ingress tcp 80 80 ::/0", "sg:webapp ingress tcp 9100 9100 sg:monitoring"]);
    expect(rules(prod).filter((r) => r.startsWith("sg:notebook ingress")).sort()).toEqual(["sg:notebook ingress tcp 22 22 sg:bastion", "sg:notebook ingress tcp 9100 9100 sg:monitoring"]);
  });

  test("egress: only 80/443 anywhere, 27017 to the database from app tiers, git 9418 on the webapp", () => {
    const out = rules(prod).filter((r) => r.includes(" egress "));
    const unusual = out.filter((r) => !/ egress tcp (80 80|443 443) (0\.0\.0\.0\/0|::\/0)$/.test(r));
    expect(unusual.sort()).toEqual([
      "sg:analysis egress tcp 27017 27017 sg:database",
      "sg:bastion egress tcp 22 22 sg:analysis",
      "sg:bastion egress tcp 22 22 sg:database",
      "sg:bastion egress tcp 22 22 sg:monitoring",
      "sg:bastion egress tcp 22 22 sg:notebook",
      "sg:bastion egress tcp 22 22 sg:webapp",
      // monitoring: alerts by mail to the SMTP relay (587), scrapes every node exporter
      "sg:monitoring egress tcp 587 587 0.0.0.0/0",
      "sg:monitoring egress tcp 587 587 ::/0",
      "sg:monitoring egress tcp 9100 9100 sg:analysis",
      "sg:monitoring egress tcp 9100 9100 sg:bastion",
      "sg:monitoring egress tcp 9100 9100 sg:database",
      "sg:monitoring egress tcp 9100 9100 sg:monitoring",
      "sg:monitoring egress tcp 9100 9100 sg:notebook",
      "sg:monitoring egress tcp 9100 9100 sg:webapp",
      "sg:notebook egress tcp 27017 27017 sg:database",
      "sg:webapp egress tcp 27017 27017 sg:database",
      "sg:webapp egress tcp 9418 9418 0.0.0.0/0",
      "sg:webapp egress tcp 9418 9418 ::/0",
    ]);
    for (const g of ["bastion", "database", "webapp", "analysis", "notebook"]) expect(out.filter((r) => r.startsWith(`sg:${g} egress tcp 443 443`))).toHaveLength(2);
  });

  test("IPv4-only environments get no IPv6 rules", () => {
    expect(rules(staging).filter((r) => r.endsWith("::/0"))).toEqual([]);
  });
});

describe("instances", () => {
  test("IMDSv2, encrypted root, EBS-optimized, AMI from the lookup, ami changes ignored", () => {
    for (const [, i] of prod.of("aws_instance")) {
      expect(i.metadata_options.http_tokens).toBe("required");
      expect(i.root_block_device.encrypted).toBe(true);
      expect(i.ebs_optimized).toBe(true);
      expect(i.ami).toMatch(/^\$\{data\.aws_ami\./);
      expect(i.lifecycle.ignore_changes).toEqual(["ami"]);
    }
    expect(prod.text).toHaveDataSourceWithProperties(DataAwsAmi, { most_recent: true, owners: ["099720109477"] });
  });

  test("fixed private IPs, public IP only in public subnets, tags, termination protection for the database", () => {
    expect(prod.text).toHaveResourceWithProperties(Instance, {
      private_ip: "192.168.1.100",
      instance_type: "r7i.2xlarge",
      associate_public_ip_address: false,
      disable_api_termination: true,
      tags: { Name: "emission-database", Tier: "database", Host: "database", SnapshotPolicy: "emission-daily" },
    });
    expect(prod.text).toHaveResourceWithProperties(Instance, { private_ip: "192.168.0.80", associate_public_ip_address: true, ipv6_address_count: 1, tags: { Name: "emission-webapp", Tier: "webapp", Host: "webapp", SnapshotPolicy: "emission-daily" } });
    expect(prod.text).toHaveResourceWithProperties(Instance, { private_ip: "192.168.0.10", instance_type: "t3.micro", tags: { Name: "emission-bastion", Tier: "bastion", Host: "bastion" } });
  });

  test("provider default tags and region come from the file", () => {
    expect(prod.text).toHaveProviderWithProperties(AwsProvider, { region: "us-east-1", default_tags: [{ tags: { Environment: "production", Project: "multitier", ManagedBy: "cdktf", Prefix: "emission" } }] });
  });

  test("key pair: existing name, or the operator's public key read by Terraform (never the private key)", () => {
    expect(prod.text).not.toHaveResource(KeyPair);
    expect(prod.of("aws_instance").every(([, i]) => i.key_name === "emission-operator")).toBe(true);
    expect(staging.text).toHaveResourceWithProperties(KeyPair, { key_name: "emission-stg-operator", public_key: '${file(pathexpand("~/.ssh/id_ed25519.pub"))}' });
  });
});

describe("volumes", () => {
  test("every volume encrypted, in its instance's AZ, attached at its device", () => {
    const vols = prod.of("aws_ebs_volume").map(([, v]) => v);
    expect(vols).toHaveLength(10);
    for (const v of vols) {
      expect(v.encrypted).toBe(true);
      expect(v.availability_zone).toBe("us-east-1d");
    }
    expect(prod.text).toHaveResourceWithProperties(EbsVolume, { size: 3072, type: "io2", iops: 1000, tags: expect.objectContaining({ Name: "emission-database-data", HoldsData: "true" }) });
    expect(prod.text).toHaveResourceWithProperties(VolumeAttachment, { device_name: "/dev/sdh", stop_instance_before_detaching: true });
  });

  test("data volumes have prevent_destroy, code volumes not; hosts with data carry the snapshot policy's tag", () => {
    const byName = Object.fromEntries(prod.of("aws_ebs_volume").map(([, v]) => [v.tags.Name, v]));
    expect(byName["emission-database-data"].lifecycle.prevent_destroy).toBe(true);
    expect(byName["emission-webapp-code"].lifecycle.prevent_destroy).toBe(false);
    const tagged = prod.of("aws_instance").filter(([, i]) => i.tags.SnapshotPolicy === "emission-daily").map(([, i]) => i.tags.Host);
    expect(tagged.sort()).toEqual(["analysis", "database", "notebook", "webapp"]);
  });

  test("a daily DLM policy takes crash-consistent multi-volume sets of the tagged instances, boot volume excluded", () => {
    expect(prod.text).toHaveResourceWithProperties(DlmLifecyclePolicy, {
      state: "ENABLED",
      description: "emission daily snapshots of data volumes",
      policy_details: expect.objectContaining({ resource_types: ["INSTANCE"], target_tags: { SnapshotPolicy: "emission-daily" }, parameters: { exclude_boot_volume: true } }),
    });
    const [[, dlm]] = prod.of("aws_dlm_lifecycle_policy");
    // DLM's description accepts letters, digits, spaces, _ and - only
    expect(dlm.description).toMatch(/^[0-9A-Za-z _-]+$/);
    expect(dlm.policy_details.schedule[0].create_rule).toEqual({ interval: 24, interval_unit: "HOURS", times: ["03:00"] });
    expect(dlm.policy_details.schedule[0].retain_rule).toEqual({ count: 14 });
    expect(dlm.policy_details.schedule[0].copy_tags).toBe(true);
    expect(dlm.policy_details.schedule[0].variable_tags).toEqual({ "instance-id": "$(instance-id)", "snapshot-time": "$(timestamp)" });
  });

  test("the DLM description keeps to the provider's alphabet (letters, digits, spaces, _ and -)", () => {
    for (const s of [prod, staging]) {
      const [[, dlm]] = s.of("aws_dlm_lifecycle_policy");
      expect(dlm.description).toMatch(/^[0-9A-Za-z _-]+$/);
    }
  });

  test("root-volume tags in root_block_device, never volume_tags (the provider's conflict with separately attached aws_ebs_volume)", () => {
    for (const [id, i] of prod.of("aws_instance")) {
      expect([id, i.volume_tags]).toEqual([id, undefined]);
      expect(i.root_block_device.tags).toEqual({ Name: `${i.tags.Name}-root`, Tier: i.tags.Tier });
    }
  });
});

describe("outputs and backend", () => {
  test("inventory output names every host, its IP and volume ids", () => {
    const inv = prod.json.output.inventory.value;
    expect(Object.keys(inv.hosts).sort()).toEqual(["analysis", "database", "monitoring", "notebook", "webapp"]);
    expect(inv.hosts.database.volumes.data).toMatchObject({ device: "/dev/sdf", mountPoint: "/data", filesystem: "xfs", encryption: "luks" });
    expect(inv.hosts.database.volumes.data.volumeId).toMatch(/^\$\{aws_ebs_volume\..+\.id\}$/);
    expect(inv.bastion.publicIp).toMatch(/aws_instance\.bastion_instance_[A-F0-9]+\.public_ip/);
  });

  test("local backend by default; S3 with lock file and encryption when a bucket is named", () => {
    expect(prod.json.terraform.backend.local.path).toBe("../../../terraform.production.tfstate");
    const text = fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8").replace("keyPair:", "backend:\n  s3: { bucket: my-state }\nkeyPair:");
    const { env } = checkEnvironment(new YamlSource("hosts/production.yaml", text));
    const s3 = synthEnv(env!).json.terraform.backend.s3;
    expect(s3).toEqual({ bucket: "my-state", key: "multitier/production.tfstate", region: "us-east-1", encrypt: true, use_lockfile: true });
  });
});

describe("snapshots of the shipped environments", () => {
  test.each(["production", "staging"])("%s", (name) => {
    const s = name === "production" ? prod : staging;
    expect(Object.keys(s.json.resource).length).toBeGreaterThan(10);
    expect(s.json).toMatchSnapshot();
  });
});
