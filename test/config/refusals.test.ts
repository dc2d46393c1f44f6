/**
 * What AWS would refuse at apply, refused by `multitier validate` instead: each case edits the
 * frozen production fixture (so positions are real) and names the exact one line it must give
 * (file:line:col, field, what was expected). The AWS facts come from config/aws/.
 */
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";

const base = fs.readFileSync(path.join(__dirname, "fixtures", "production.yaml"), "utf8").split("\n").slice(1).join("\n");
const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const addKms = (v: string): [string, string] => ["name: emission-operator\n", `name: emission-operator\nkmsKeyId: ${v}\n`];
const F = "hosts/production.yaml";

const cases: [string, [string | RegExp, string][], string | string[]][] = [
  ["an availability zone of another region", [["availabilityZones: [us-east-1d]", "availabilityZones: [us-west-2a]"]], `${F}:10:21 availabilityZones[0]: expected an availability zone of us-east-1 (us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f), got "us-west-2a"`],
  ["a region that does not exist", [["region: us-east-1", "region: us-east-7"]], `${F}:9:9 region: expected an AWS region (such as us-east-1), got "us-east-7"; did you mean "us-east-1"?`],
  ["a KMS alias where the key ARN is needed", [addKms("alias/emission")], `${F}:22:11 kmsKeyId: expected a KMS key ARN such as arn:aws:kms:us-east-1:111122223333:key/<key id> (the provider needs the key's ARN; a key id or alias is not accepted), got "alias/emission"`],
  ["a KMS alias ARN", [addKms("arn:aws:kms:us-east-1:111122223333:alias/emission")], `${F}:22:11 kmsKeyId: expected a KMS key ARN such as arn:aws:kms:us-east-1:111122223333:key/<key id> (the provider needs the key's ARN; a key id or alias is not accepted), got "arn:aws:kms:us-east-1:111122223333:alias/emission"`],
  ["a KMS key of another region", [addKms(`arn:aws:kms:eu-west-1:111122223333:key/${KEY}`)], `${F}:22:11 kmsKeyId: expected a KMS key in us-east-1 (keys are regional), got one in eu-west-1`],
  ["gp3 with iops: 100", [["{ name: code, sizeGb: 10, device: /dev/sdf, mountPoint: /code, filesystem: ext4, mountOptions: [defaults, noatime, exec], holdsData: false }\n      - { name: log, sizeGb: 10, device: /dev/sdg", "{ name: code, sizeGb: 10, iops: 100, device: /dev/sdf, mountPoint: /code, filesystem: ext4, mountOptions: [defaults, noatime, exec], holdsData: false }\n      - { name: log, sizeGb: 10, device: /dev/sdg"]], `${F}:52:41 tiers.webapp.volumes[0].iops: expected 3000–16000 IOPS for a gp3 volume, got 100`],
  ["st1 at 5 GiB", [["{ name: log, sizeGb: 10, type: io2, iops: 100,", "{ name: log, sizeGb: 5, type: st1,"]], `${F}:40:30 tiers.database.volumes[2].sizeGb: expected 125–16384 GiB for a st1 volume, got 5`],
  ["gp3 at 100000 GiB", [["{ name: data, sizeGb: 3072, type: io2, iops: 1000,", "{ name: data, sizeGb: 100000, type: gp3,"]], `${F}:38:31 tiers.database.volumes[0].sizeGb: expected 1–16384 GiB for a gp3 volume, got 100000`],
  ["io2 above 1000 IOPS per GiB", [["{ name: journal, sizeGb: 25, type: io2, iops: 250,", "{ name: journal, sizeGb: 25, type: io2, iops: 30000,"]], `${F}:39:55 tiers.database.volumes[1].iops: expected at most 1000 IOPS per GiB for io2 (25000 for 25 GiB), got 30000`],
  ["gp3 throughput above 0.25 MiB/s per IOPS", [["{ name: journal, sizeGb: 25, type: io2, iops: 250,", "{ name: journal, sizeGb: 25, type: gp3, throughput: 1000,"]], `${F}:39:61 tiers.database.volumes[1].throughput: expected at most 0.25 MiB/s per provisioned IOPS (750 for 3000 IOPS), got 1000`],
  ["io2 without iops", [["type: io2, iops: 1000, ", "type: io2, "]], `${F}:38:9 tiers.database.volumes[0].iops: expected iops for io2 volumes, got nothing`],
  ["sc1 with throughput", [["{ name: journal, sizeGb: 25, type: io2, iops: 250,", "{ name: journal, sizeGb: 125, type: sc1, throughput: 200,"]], `${F}:39:62 tiers.database.volumes[1].throughput: throughput applies to gp3 volumes only, got type sc1`],
  ["gp2 with iops", [["{ name: journal, sizeGb: 25, type: io2, iops: 250,", "{ name: journal, sizeGb: 25, type: gp2, iops: 250,"]], `${F}:39:55 tiers.database.volumes[1].iops: gp2 volumes take no iops (only gp3, io1 and io2 do), got 250`],
  ["a tier IP AWS reserves (the last address)", [["privateIps: [192.168.1.100]", "privateIps: [192.168.1.255]"]], `${F}:31:18 tiers.database.privateIps[0]: IP 192.168.1.255 is reserved by AWS in 192.168.1.0/24 (first four and last address)`],
  ["a tier IP AWS reserves (the fourth address)", [["privateIps: [192.168.1.100]", "privateIps: [192.168.1.3]"]], `${F}:31:18 tiers.database.privateIps[0]: IP 192.168.1.3 is reserved by AWS in 192.168.1.0/24 (first four and last address)`],
  ["more privateIps than count", [["privateIps: [192.168.0.80]", "privateIps: [192.168.0.80, 192.168.0.81]"]], `${F}:45:32 tiers.webapp.privateIps[1]: expected at most 1 fixed IP(s) (one per instance: count is 1), got 2`],
  ["::/0 in serves and egress with ipv6 off", [["ipv6: true", "ipv6: false"]], [
    `${F}:47:40 tiers.webapp.serves[0].from[1]: expected an IPv4 CIDR block or a tier name (network.ipv6 is false: nothing would answer on IPv6), got "::/0"`,
    `${F}:48:39 tiers.webapp.serves[1].from[1]: expected an IPv4 CIDR block or a tier name (network.ipv6 is false: nothing would answer on IPv6), got "::/0"`,
    `${F}:50:39 tiers.webapp.egress[0].to[1]: expected an IPv4 CIDR block or a tier name (network.ipv6 is false: nothing would answer on IPv6), got "::/0"`,
  ]],
  ["an IPv6 operator CIDR with ipv6 off", [["ipv6: true", "ipv6: false"], [/\[0\.0\.0\.0\/0, "::\/0"\]/g, "[0.0.0.0/0]"], ["operatorCidrs: [203.0.113.0/24]", "operatorCidrs: [203.0.113.0/24, 2001:db8::/32]"]], `${F}:19:33 operatorCidrs[1]: expected an IPv4 CIDR block (network.ipv6 is false), got "2001:db8::/32"`],
  ["a Graviton type with an amd64 AMI", [["instanceType: r7i.2xlarge", "instanceType: r7g.2xlarge"]], `${F}:30:19 tiers.database.instanceType: expected an x86_64 instance type to match the AMI filter "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*", got r7g.2xlarge (arm64, AWS Graviton)`],
  ["an x86 bastion with an arm64 AMI", [["bastion:\n", "ami: { nameFilter: ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-* }\nbastion:\n"], [/m7i\.xlarge/g, "m7g.xlarge"], ["r7i.2xlarge", "r7g.2xlarge"]], `${F}:25:17 bastion.instanceType: expected an arm64 instance type to match the AMI filter "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*", got t3.micro (x86_64)`],
  ["a t2 bastion (EBS-optimized launches are refused)", [["instanceType: t3.micro", "instanceType: t2.micro"]], `${F}:24:17 bastion.instanceType: expected a current-generation instance type (every instance is launched EBS-optimized; previous-generation t2 does not support it on all or some sizes), got t2.micro`],
  ["a relative publicKeyFile (Terraform would look for it in cdktf.out/stacks/<env>/)", [["  name: emission-operator\n", "  publicKeyFile: keys/operator.pub\n"]], `${F}:21:18 keyPair.publicKeyFile: expected an absolute path or one under ~/ (Terraform reads it from cdktf.out/stacks/<env>/, not from here), got "keys/operator.pub"`],
  ["a rule description with characters AWS refuses", [["description: MongoDB from the app tiers only", "description: MongoDB — the app tiers' only"]], `${F}:36:22 tiers.database.serves[0].description: expected a rule description of at most 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (what AWS accepts), got "MongoDB — the app tiers' only"`],
  ["a waiver naming an unknown rule", [["tiers:\n", "waivers:\n  - { rule: no-public-jupyterr, resource: aws_instance.x, reason: testing }\ntiers:\n"]], `${F}:28:13 waivers[0].rule: expected a policy rule id (no-world-ssh-or-db, database-private, no-public-jupyter, ebs-encrypted, imdsv2, default-sg-empty, egress-replaced, data-volumes-protected, snapshots-consistent, no-secrets, s3-backend-safe, exporter-monitoring-only, lb-listener-tls, webapp-private-behind-lb), got "no-public-jupyterr"; did you mean "no-public-jupyter"?`],
  ["a mountPoint containing ..", [["mountPoint: /journal", "mountPoint: /data/../etc"]], `${F}:39:90 tiers.database.volumes[1].mountPoint: expected an absolute path without "." or ".." segments, got "/data/../etc"`],
  ["more daily snapshots than DLM keeps", [["prefix: emission\n", "prefix: emission\nsnapshots: { retainDays: 2000 }\n"]], `${F}:9:26 snapshots.retainDays: expected at most 1000 (the most snapshots a DLM schedule keeps), got 2000`],
];

describe("refused at validate instead of at apply", () => {
  test.each(cases)("%s: one exact line", (_name, edits, error) => {
    let text = base;
    for (const [from, to] of edits) {
      const next = text.replace(from, to);
      if (next === text) throw new Error(`edit did not apply: ${String(from)}`);
      text = next;
    }
    const { env, errors } = checkEnvironment(new YamlSource(F, text));
    expect(errors.map((e) => e.message)).toEqual(Array.isArray(error) ? error : [error]);
    expect(env).toBeUndefined();
  });

  test("a customer KMS key ARN in the region, in the environment and the S3 backend, is accepted", () => {
    const arn = `arn:aws:kms:us-east-1:111122223333:key/${KEY}`;
    const text = base.replace("name: emission-operator\n", `name: emission-operator\nkmsKeyId: ${arn}\nbackend: { s3: { bucket: b, kmsKeyId: "${arn}" } }\n`);
    expect(checkEnvironment(new YamlSource(F, text)).errors).toEqual([]);
  });
});
