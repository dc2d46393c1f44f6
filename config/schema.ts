/**
 * The shape of `hosts/<env>.yaml`. One environment is declared once here and read by both
 * halves: the CDKTF stacks (machines, networks, volumes) and the runner (how to reach hosts).
 *
 * Every leaf carries its own "expected ..." wording so a validation error reads like
 *   tiers.database.volumes[0].sizeGb: expected a positive integer, got "big"
 * Objects are strict: an unknown key is an error (with a did-you-mean, see load.ts).
 */
import { z } from "zod";
import { D } from "./defaults";
import { show } from "./errors";
import { parseCidr, parseIp } from "./cidr";
import { monitoringSchema } from "./monitoring";
import { loadBalancerSchema } from "./load-balancer";

/** Attach "expected <what>, got <value>" to every issue a schema raises. */
function expecting(what: string) {
  return {
    errorMap: (_issue: z.ZodIssueOptionalMessage, ctx: z.ErrorMapCtx) => ({
      message: `expected ${what}, got ${show(ctx.data)}`,
    }),
  };
}

const str = (what = "a string") => z.string(expecting(what)).min(1);
const bool = () => z.boolean(expecting("true or false"));
const posInt = () => z.number(expecting("a positive integer")).int().positive();
const port = () => z.number(expecting("a port number 1-65535")).int().min(1).max(65535);
const oneOf = <const T extends [string, ...string[]]>(values: T) =>
  z.enum(values, expecting(values.map((v) => JSON.stringify(v)).join(" or ")));

const cidr = () =>
  z.string(expecting("a CIDR block such as 192.168.0.0/24")).refine((v) => parseCidr(v) !== undefined, (v) => ({
    message: `expected a CIDR block such as 192.168.0.0/24 (network address, no host bits), got ${show(v)}`,
  }));
const ipv4 = () =>
  z.string(expecting("an IPv4 address")).refine((v) => parseIp(v)?.kind() === "ipv4", (v) => ({
    message: `expected an IPv4 address, got ${show(v)}`,
  }));
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item, expecting("a list"));
const vars = () => z.record(z.string(), z.unknown(), expecting("a mapping of variables")).default({});

/** A peer in a rule: a tier name, "operators" (the operator CIDRs) or a CIDR block. */
const peer = () => str("a tier name, \"operators\" or a CIDR block");

const servedPort = z
  .object(
    {
      port: port(),
      toPort: port().optional(),
      protocol: oneOf(["tcp", "udp"]).default(D.protocol as "tcp"),
      from: list(peer()).min(1),
      description: str().optional(),
    },
    expecting("a mapping with port and from"),
  )
  .strict();

const egressRule = z
  .object(
    {
      port: port(),
      toPort: port().optional(),
      protocol: oneOf(["tcp", "udp"]).default(D.protocol as "tcp"),
      to: list(peer()).min(1),
      description: str().optional(),
    },
    expecting("a mapping with port and to"),
  )
  .strict();

export const volumeSchema = z
  .object(
    {
      name: z.string(expecting("a volume name (lower-case letters, digits, dashes)")).regex(/^[a-z][a-z0-9-]{0,30}$/, {
        message: "expected a volume name (lower-case letters, digits, dashes)",
      }),
      sizeGb: posInt(),
      type: oneOf(["gp3", "gp2", "io2", "io1", "st1", "sc1"]).default(D.volumeType as "gp3"),
      iops: posInt().optional(),
      throughput: posInt().optional(),
      device: z
        .string(expecting("a device name /dev/sdf … /dev/sdp"))
        .regex(/^\/dev\/(sd|xvd)[f-p]$/, { message: "expected a device name /dev/sdf … /dev/sdp" }),
      mountPoint: z
        .string(expecting("an absolute path"))
        .regex(/^\/[A-Za-z0-9._/-]*$/, { message: "expected an absolute path" }),
      filesystem: oneOf(["xfs", "ext4"]).default(D.filesystem as "ext4"),
      mountOptions: list(str("a mount option")).default([...D.mountOptions]),
      encryption: oneOf(["luks", "none"]).default(D.encryption as "luks"),
      holdsData: bool().default(D.holdsData),
      owner: str("a user name").optional(),
      group: str("a group name").optional(),
      mode: z.string(expecting("an octal mode such as \"0750\"")).regex(/^0?[0-7]{3}$/, {
        message: "expected an octal mode such as \"0750\"",
      }).optional(),
    },
    expecting("a volume mapping"),
  )
  .strict();

export const tierSchema = z
  .object(
    {
      subnet: oneOf(["public", "private"]),
      instanceType: str("an instance type such as m6i.xlarge"),
      count: posInt().default(D.tierCount),
      privateIps: list(ipv4()).optional(),
      rootVolumeGb: posInt().default(D.rootVolumeGb),
      user: str("a user name").optional(),
      serves: list(servedPort).default([]),
      egress: list(egressRule).default([]),
      volumes: list(volumeSchema).default([]),
      /** hosts of this tier whose removal (with their data volumes) is intended: config/identities.ts */
      retire: list(str("a host name such as webapp-3")).default([]),
      vars: vars(),
    },
    expecting("a tier mapping"),
  )
  .strict();

export const environmentSchema = z
  .object(
    {
      name: z.string(expecting("an environment name")).regex(/^[a-z][a-z0-9-]{0,30}$/, {
        message: "expected an environment name (lower-case letters, digits, dashes)",
      }),
      prefix: z.string(expecting("a name prefix")).regex(/^[a-z][a-z0-9-]{0,20}$/, {
        message: "expected a name prefix (lower-case letters, digits, dashes, at most 21)",
      }),
      platform: oneOf(["aws", "lab"]).default(D.platform as "aws"),
      region: z.string(expecting("an AWS region such as us-east-1")).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, {
        message: "expected an AWS region such as us-east-1",
      }),
      availabilityZones: list(str("an availability zone")).min(1),
      network: z
        .object(
          {
            vpcCidr: cidr(),
            ipv6: bool().default(D.ipv6),
            publicSubnets: list(cidr()).min(1),
            privateSubnets: list(cidr()).min(1),
          },
          expecting("a network mapping"),
        )
        .strict(),
      operatorCidrs: list(cidr()).min(1),
      keyPair: z
        .object({ name: str("a key pair name").optional(), publicKeyFile: str("a file path").optional() }, expecting("a mapping with name or publicKeyFile"))
        .strict(),
      sshUser: str("a user name").default(D.sshUser),
      ami: z
        .object({ owner: str("an AWS account id").default(D.amiOwner), nameFilter: str("an AMI name filter").default(D.amiName) }, expecting("a mapping"))
        .strict()
        .default({}),
      kmsKeyId: str("a KMS key id or ARN").optional(),
      snapshots: z
        .object(
          {
            enabled: bool().default(D.snapshots),
            time: z.string(expecting("a UTC time HH:MM")).regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected a UTC time HH:MM" }).default(D.snapshotTime),
            retainDays: posInt().default(D.snapshotRetainDays),
          },
          expecting("a mapping"),
        )
        .strict()
        .default({}),
      backend: z
        .object(
          {
            s3: z
              .object(
                {
                  bucket: str("a bucket name"),
                  key: str("an object key").optional(),
                  region: str("an AWS region").optional(),
                  kmsKeyId: str("a KMS key id").optional(),
                },
                expecting("a mapping with bucket"),
              )
              .strict()
              .optional(),
          },
          expecting("a mapping"),
        )
        .strict()
        .default({}),
      bastion: z
        .object(
          {
            instanceType: str("an instance type").default(D.bastionInstanceType),
            privateIp: ipv4().optional(),
            rootVolumeGb: posInt().default(D.bastionRootVolumeGb),
            user: str("a user name").optional(),
          },
          expecting("a bastion mapping"),
        )
        .strict()
        .default({}),
      tiers: z.record(z.string(), tierSchema, expecting("a mapping of tiers")),
      vars: vars(),
      waivers: list(
        z
          .object({ rule: str("a policy rule id"), resource: str("a resource address"), reason: str("a written reason") }, expecting("a waiver mapping"))
          .strict(),
      ).default([]),
      lab: z.record(z.string(), z.unknown(), expecting("a mapping")).optional(),
      monitoring: monitoringSchema.optional(),
      loadBalancer: loadBalancerSchema.optional(),
    },
    expecting("an environment mapping"),
  )
  .strict();

export type EnvironmentSpec = z.output<typeof environmentSchema>;
export type TierSpec = z.output<typeof tierSchema>;
export type VolumeSpec = z.output<typeof volumeSchema>;
export type ServedPort = TierSpec["serves"][number];
export type EgressRule = TierSpec["egress"][number];
