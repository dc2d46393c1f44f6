/**
 * Instance families that cannot be launched EBS-optimized (on all or some sizes), as data.
 * Why: every instance of the stacks sets `ebs_optimized = true` (stacks/server.ts); on these
 * families AWS refuses the launch at apply ("EBS-optimized instances are not supported for
 * your requested configuration"), which neither synth nor `terraform validate` can see.
 * Source: "Amazon EBS-optimized instance types"
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-nitro-instances.html and
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-optimized.html): every current
 * generation type is EBS-optimized by default; these previous-generation families are not,
 * and some of their sizes (t1, t2 all; m1.small, c1.medium, m3.medium …) do not support it.
 */
export const NOT_EBS_OPTIMIZED_FAMILIES = ["t1", "t2", "m1", "m2", "m3", "c1", "c3", "r3", "i2", "g2", "cc2", "cr1", "hs1", "hi1"];

/** The family of an instance type ("t2" for t2.micro). */
export function family(instanceType: string): string {
  return instanceType.split(".")[0];
}
