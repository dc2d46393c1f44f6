/**
 * Which CPU architecture an EC2 instance type runs, as data. Why: a Graviton type (m7g, t4g,
 * c7gn …) launched from an amd64 AMI (or the reverse) passes synth and `terraform validate`
 * and fails at apply ("The architecture 'arm64' of the specified instance type does not
 * match the architecture 'x86_64' of the specified AMI"). Source: "Amazon EC2 instance type
 * naming conventions" (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html):
 * the attribute letter `g` after the generation marks AWS Graviton processors; a1 is the
 * first Graviton family; mac2* are Apple silicon (arm64). Every other family is x86_64.
 */
export type Arch = "arm64" | "x86_64";

const ARM_FAMILY = /^(a1|mac2(-m[0-9a-z]+)*|[a-z]+[0-9]+g[a-z-]*)\./;

/** Architecture of an instance type such as m7g.large (arm64) or m7i.xlarge (x86_64). */
export function instanceArch(instanceType: string): Arch {
  return ARM_FAMILY.test(instanceType) ? "arm64" : "x86_64";
}

/** Architecture an AMI name filter asks for, when it says (Ubuntu: …-amd64-server-*, …-arm64-server-*). */
export function amiArch(nameFilter: string): Arch | undefined {
  if (/arm64|aarch64/.test(nameFilter)) return "arm64";
  if (/amd64|x86_64/.test(nameFilter)) return "x86_64";
  return undefined;
}
