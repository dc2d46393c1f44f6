/**
 * AWS Regions and the availability-zone names each offers, as data. Why: a misspelt region
 * or a zone of another region passes synth and `terraform validate` and fails only at apply
 * (subnets cannot be created), so `multitier validate` refuses them up front.
 * Source: "AWS Regions" (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html)
 * and "Regions and Zones" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html).
 * Zone names are <region><letter>; the letters are those the docs list (a few regions skip
 * one, e.g. ap-northeast-1 has no "b" for new accounts). Local and Wavelength Zones are not
 * offered here: the stacks put one public and one private subnet in ordinary zones only.
 * A new Region: add one line.
 */
export const ZONE_LETTERS: Readonly<Record<string, string>> = {
  "us-east-1": "abcdef",
  "us-east-2": "abc",
  "us-west-1": "abc",
  "us-west-2": "abcd",
  "af-south-1": "abc",
  "ap-east-1": "abc",
  "ap-east-2": "abc",
  "ap-south-1": "abc",
  "ap-south-2": "abc",
  "ap-southeast-1": "abc",
  "ap-southeast-2": "abc",
  "ap-southeast-3": "abc",
  "ap-southeast-4": "abc",
  "ap-southeast-5": "abc",
  "ap-southeast-6": "abc",
  "ap-southeast-7": "abc",
  "ap-northeast-1": "acd",
  "ap-northeast-2": "abcd",
  "ap-northeast-3": "abc",
  "ca-central-1": "abd",
  "ca-west-1": "abc",
  "eu-central-1": "abc",
  "eu-central-2": "abc",
  "eu-west-1": "abc",
  "eu-west-2": "abc",
  "eu-west-3": "abc",
  "eu-south-1": "abc",
  "eu-south-2": "abc",
  "eu-north-1": "abc",
  "il-central-1": "abc",
  "me-south-1": "abc",
  "me-central-1": "abc",
  "mx-central-1": "abc",
  "sa-east-1": "abc",
  "us-gov-east-1": "abc",
  "us-gov-west-1": "abc",
  "cn-north-1": "abd",
  "cn-northwest-1": "abc",
};

export const REGIONS = Object.keys(ZONE_LETTERS);

/** The zone names of `region` (empty for an unknown region). */
export function zonesOf(region: string): string[] {
  return [...(ZONE_LETTERS[region] ?? "")].map((l) => `${region}${l}`);
}
