/**
 * Daily, crash-consistent snapshots of the data volumes, kept `snapshots.retainDays` days, by
 * AWS Data Lifecycle Manager with its own service role. The policy targets INSTANCES (tag
 * SnapshotPolicy=<prefix>-daily on every host whose tier has a volume that holds data): DLM
 * then takes multi-volume snapshot sets, all the EBS volumes attached to the instance at the
 * same moment (boot volume excluded), so MongoDB's data and journal volumes agree. Each
 * snapshot of a set carries the same `instance-id` and `snapshot-time` tags (docs/restore.md).
 */
import { Construct, DlmLifecyclePolicy, IamRole, IamRolePolicyAttachment } from "./cdk";
import { D } from "../config/defaults";
import { snapshotPolicyDescription, snapshotRoleName, snapshotTagValue } from "./names";

/** The tag the policy targets on instances; its value is `snapshotTagValue(prefix)` (stacks/names.ts). */
export const SNAPSHOT_TAG = "SnapshotPolicy";

export interface SnapshotPolicyProps {
  /** the environment's prefix: the role, the target tag and the description carry it (stacks/names.ts) */
  readonly prefix: string;
  /**
   * UTC time of the daily snapshot, HH:MM
   * @default D.snapshotTime (config/defaults.ts)
   */
  readonly time?: string;
  /**
   * daily snapshots kept
   * @default D.snapshotRetainDays (config/defaults.ts)
   */
  readonly retainDays?: number;
}

export class SnapshotPolicy extends Construct {
  readonly policy: DlmLifecyclePolicy;

  constructor(scope: Construct, id: string, props: SnapshotPolicyProps) {
    super(scope, id);
    const { prefix } = props;
    const role = new IamRole(this, "role", {
      name: snapshotRoleName(prefix),
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
      description: snapshotPolicyDescription(prefix),
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["INSTANCE"],
        targetTags: { [SNAPSHOT_TAG]: snapshotTagValue(prefix) },
        parameters: { excludeBootVolume: true },
        schedule: [
          {
            name: "daily",
            copyTags: true,
            // the same on every snapshot of one set: how a restore finds the volumes that belong together
            variableTags: { "instance-id": "$(instance-id)", "snapshot-time": "$(timestamp)" },
            createRule: { interval: 24, intervalUnit: "HOURS", times: [props.time ?? D.snapshotTime] },
            retainRule: { count: props.retainDays ?? D.snapshotRetainDays },
          },
        ],
      },
    });
  }
}
