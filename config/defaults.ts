/**
 * Every default of an environment file, in one place, each with a one-line description.
 * `schema.ts` applies them; the README's input table is generated from this list
 * (`make docs-inputs`, config/inputs-table.ts), so a default is documented exactly once.
 */
export const DEFAULTS = {
  platform: { value: "aws", doc: "aws synthesizes a Terraform stack; lab describes local lab hosts (no stack)" },
  sshUser: { value: "ubuntu", doc: "login user on every instance (Ubuntu AMIs use ubuntu)" },
  ipv6: { value: true, doc: "Amazon-provided /56 for the VPC and a /64 per subnet" },
  amiOwner: { value: "099720109477", doc: "AMI owner account for the Ubuntu lookup (Canonical)" },
  amiName: { value: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*", doc: "AMI name filter (Ubuntu 24.04 LTS)" },
  bastionInstanceType: { value: "t3.micro", doc: "instance type of the bastion (SSH hop) host" },
  bastionRootVolumeGb: { value: 8, doc: "root volume of the bastion, GiB" },
  tierCount: { value: 1, doc: "instances per tier" },
  rootVolumeGb: { value: 20, doc: "root volume of each tier instance, GiB (always encrypted, gp3)" },
  volumeType: { value: "gp3", doc: "EBS volume type" },
  filesystem: { value: "ext4", doc: "filesystem made on a volume" },
  mountOptions: { value: ["defaults", "noatime"], doc: "fstab options of a volume" },
  encryption: { value: "luks", doc: "luks encrypts the volume on the host (on top of EBS encryption); none skips it" },
  holdsData: { value: true, doc: "a volume that holds data gets prevent_destroy and daily snapshots" },
  snapshots: { value: true, doc: "daily DLM snapshots of data volumes" },
  snapshotTime: { value: "03:00", doc: "UTC time of the daily snapshot" },
  snapshotRetainDays: { value: 14, doc: "daily snapshots kept" },
  protocol: { value: "tcp", doc: "protocol of a served port or egress rule" },
  baseEgressPorts: { value: [80, 443], doc: "ports every server may reach anywhere (HTTP/HTTPS)" },
} as const;

export const D = Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, v.value])) as {
  [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K]["value"];
};
