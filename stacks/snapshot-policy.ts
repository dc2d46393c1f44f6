/**
 * Daily, crash-consistent snapshots of the data volumes, kept `snapshots.retainDays` days, by
 * AWS Data Lifecycle Manager with its own service role. The policy targets INSTANCES (tag
 * SnapshotPolicy=<prefix>-daily on every host whose tier has a volume that holds data): DLM
 * then takes multi-volume snapshot sets, all the EBS volumes attached to the instance at the
 * same moment (boot volume excluded), so MongoDB's data and journal volumes agree. Each
 * snapshot of a set carries the same `instance-id` and `snapshot-time` tags (docs/restore.md).
 */
import { Construct, DlmLifecyclePolicy, IamRole, IamRolePolicyAttachment } from "./cdk";
import type { Environment } from "../config/environment";
export const SNAPSHOT_TAG = "SnapshotPolicy";

/** The tag value the policy targets on instances. */
export const snapshotTagValue = (env: Environment) => `${env.prefix}-daily`;

export interface SnapshotPolicyProps {
  env: Environment;
}

export class SnapshotPolicy extends Construct {
  readonly policy: DlmLifecyclePolicy;

  constructor(scope: Construct, id: string, props: SnapshotPolicyProps) {
    super(scope, id);
    const { env } = props;
    const role = new IamRole(this, "role", {
      name: `${env.prefix}-dlm`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    new IamRolePolicyAttachment(this, "role-policy", {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
    });
    this.policy = new DlmLifecyclePolicy(this, "policy", {
      // the provider allows letters, digits, spaces, _ and - only (terraform validate refused a colon)
      description: `${env.prefix} daily snapshots of data volumes`,
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["INSTANCE"],
        targetTags: { [SNAPSHOT_TAG]: snapshotTagValue(env) },
        parameters: { excludeBootVolume: true },
        schedule: [
          {
            name: "daily",
            copyTags: true,
            // the same on every snapshot of one set: how a restore finds the volumes that belong together
            variableTags: { "instance-id": "$(instance-id)", "snapshot-time": "$(timestamp)" },
            createRule: { interval: 24, intervalUnit: "HOURS", times: [env.snapshots.time] },
            retainRule: { count: env.snapshots.retainDays },
          },
        ],
      },
    });
  }
}
