/**
 * Bad environment files: each case edits hosts/production.yaml's text (so line numbers are
 * real) and names the exact one-line error it must produce.
 */
export interface BadCase {
  name: string;
  /** [search, replace] applied to the production file's text, in order */
  edits: [string | RegExp, string][];
  /** the exact line(s) printed, in order */
  error: string | string[];
}

export const badCases: BadCase[] = [
  {
    name: "a size that is not a number",
    edits: [["{ name: data, sizeGb: 3072", '{ name: data, sizeGb: "big"']],
    error: "hosts/production.yaml:38:31 tiers.database.volumes[0].sizeGb: expected a positive integer, got \"big\"",
  },
  {
    name: "a negative count",
    edits: [["    instanceType: r7i.2xlarge\n", "    instanceType: r7i.2xlarge\n    count: -1\n"]],
    error: "hosts/production.yaml:31:12 tiers.database.count: expected a positive integer, got -1",
  },
  {
    name: "an invalid VPC CIDR",
    edits: [["vpcCidr: 192.168.0.0/16", "vpcCidr: 192.168.0.0/33"]],
    error: "hosts/production.yaml:13:12 network.vpcCidr: expected a CIDR block such as 192.168.0.0/24 (network address, no host bits), got \"192.168.0.0/33\"",
  },
  {
    name: "a CIDR with host bits",
    edits: [["publicSubnets: [192.168.0.0/24]", "publicSubnets: [192.168.0.5/24]"]],
    error: "hosts/production.yaml:15:19 network.publicSubnets[0]: expected a CIDR block such as 192.168.0.0/24 (network address, no host bits), got \"192.168.0.5/24\"",
  },
  {
    name: "overlapping subnets",
    edits: [["privateSubnets: [192.168.1.0/24]", "privateSubnets: [192.168.0.128/25]"]],
    error: [
      "hosts/production.yaml:16:20 network.privateSubnets[0]: subnet 192.168.0.128/25 overlaps 192.168.0.0/24 (network.publicSubnets[0])",
      "hosts/production.yaml:31:18 tiers.database.privateIps[0]: IP 192.168.1.100 is outside the private subnet 192.168.0.128/25",
    ],
  },
  {
    name: "a subnet outside the VPC",
    edits: [["privateSubnets: [192.168.1.0/24]", "privateSubnets: [10.0.1.0/24]"]],
    error: [
      "hosts/production.yaml:16:20 network.privateSubnets[0]: subnet 10.0.1.0/24 is outside the VPC 192.168.0.0/16",
      "hosts/production.yaml:31:18 tiers.database.privateIps[0]: IP 192.168.1.100 is outside the private subnet 10.0.1.0/24",
    ],
  },
  {
    name: "a fixed IP outside its subnet",
    edits: [["privateIps: [192.168.1.100]", "privateIps: [192.168.0.100]"]],
    error: "hosts/production.yaml:31:18 tiers.database.privateIps[0]: IP 192.168.0.100 is outside the private subnet 192.168.1.0/24",
  },
  {
    name: "two hosts with one IP",
    edits: [["privateIps: [192.168.0.237]", "privateIps: [192.168.0.80]"]],
    error: "hosts/production.yaml:58:18 tiers.analysis.privateIps[0]: IP 192.168.0.80 is already used by webapp.privateIps[0]",
  },
  {
    name: "a fixed IP AWS reserves",
    edits: [["privateIp: 192.168.0.10", "privateIp: 192.168.0.1"]],
    error: "hosts/production.yaml:25:14 bastion.privateIp: IP 192.168.0.1 is reserved by AWS in 192.168.0.0/24 (first four and last address)",
  },
  {
    name: "more instances than fixed IPs",
    edits: [["    instanceType: m7i.xlarge\n    privateIps: [192.168.0.80]", "    instanceType: m7i.xlarge\n    count: 2\n    privateIps: [192.168.0.80]"]],
    error: "hosts/production.yaml:45:12 tiers.webapp.count: count is 2 but only 1 fixed IP(s) are listed in privateIps",
  },
  {
    name: "a duplicate tier name",
    edits: [["  analysis:\n", "  webapp:\n"]],
    error: "hosts/production.yaml:55:3: duplicate key (each name may appear once)",
  },
  {
    name: "a duplicate volume name",
    edits: [["{ name: journal, sizeGb: 25", "{ name: data, sizeGb: 25"]],
    error: "hosts/production.yaml:39:17 tiers.database.volumes[1].name: volume name \"data\" is already used by volumes[0]",
  },
  {
    name: "a duplicate device name on one instance",
    edits: [["{ name: journal, sizeGb: 25, type: io2, iops: 250, device: /dev/sdg", "{ name: journal, sizeGb: 25, type: io2, iops: 250, device: /dev/xvdf"]],
    error: "hosts/production.yaml:39:68 tiers.database.volumes[1].device: device name \"/dev/xvdf\" is already used by volumes[0]",
  },
  {
    name: "an unknown key with a suggestion",
    edits: [["    volumes:\n      - { name: data", "    voulmes:\n      - { name: data"]],
    error: "hosts/production.yaml:37:5 tiers.database.voulmes: unknown key; did you mean \"volumes\"?",
  },
  {
    name: "an unknown top-level key",
    edits: [["operatorCidrs:", "operatorCidr:"]],
    error: "hosts/production.yaml:19:1 operatorCidr: unknown key; did you mean \"operatorCidrs\"?",
  },
  {
    name: "a private tier asking for a public port",
    edits: [["        from: [webapp, analysis, notebook]", "        from: [0.0.0.0/0]"]],
    error: "hosts/production.yaml:35:16 tiers.database.serves[0].from[0]: tier \"database\" is in the private subnet and cannot serve the public address range 0.0.0.0/0; use a tier name or a CIDR inside 192.168.0.0/16",
  },
  {
    name: "a rule naming an unknown tier",
    edits: [["        from: [webapp, analysis, notebook]", "        from: [webap, analysis, notebook]"]],
    error: "hosts/production.yaml:35:16 tiers.database.serves[0].from[0]: expected a tier name, \"operators\" or a CIDR block, got \"webap\"; did you mean \"webapp\"?",
  },
  {
    name: "an unknown volume type",
    edits: [["type: io2, iops: 1000", "type: io3, iops: 1000"]],
    error: "hosts/production.yaml:38:43 tiers.database.volumes[0].type: expected \"gp3\" or \"gp2\" or \"io2\" or \"io1\" or \"st1\" or \"sc1\", got \"io3\"",
  },
  {
    name: "an io2 volume without iops",
    edits: [["type: io2, iops: 1000, ", "type: io2, "]],
    error: "hosts/production.yaml:38:9 tiers.database.volumes[0].iops: expected iops for io2 volumes, got nothing",
  },
  {
    name: "a missing required field",
    edits: [["    subnet: private\n    instanceType: r7i.2xlarge\n", "    subnet: private\n"]],
    error: "hosts/production.yaml:29:5 tiers.database.instanceType: expected an instance type such as m6i.xlarge, got nothing",
  },
  {
    name: "a wrong environment name",
    edits: [["name: production", "name: prod"]],
    error: "hosts/production.yaml:7:7 name: expected \"production\" (the file's name), got \"prod\"",
  },
  {
    name: "SSH served directly",
    edits: [["      - { port: 80, from", "      - { port: 22, from"]],
    error: "hosts/production.yaml:48:17 tiers.webapp.serves[1].port: SSH (22) is served to the bastion only and cannot be opened here",
  },
  {
    name: "invalid YAML",
    edits: [["  vpcCidr: 192.168.0.0/16", "  vpcCidr: [192.168.0.0/16"]],
    error: "hosts/production.yaml:14:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  },
];
