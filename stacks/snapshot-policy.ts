/**
 * Daily snapshots of every volume that holds data (tag SnapshotPolicy=<prefix>-daily), kept
 * `snapshots.retainDays` days, by AWS Data Lifecycle Manager with its own service role.
 */
import { Construct, DlmLifecyclePolicy, IamRole, IamRolePolicyAttachment } from "./cdk";
import type { Environment } from "../config/environment";
import { SNAPSHOT_TAG } from "./data-volume";

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
      description: `${env.prefix}: daily snapshots of data volumes`,
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["VOLUME"],
        targetTags: { [SNAPSHOT_TAG]: `${env.prefix}-daily` },
        schedule: [
          {
            name: "daily",
            copyTags: true,
            createRule: { interval: 24, intervalUnit: "HOURS", times: [env.snapshots.time] },
            retainRule: { count: env.snapshots.retainDays },
          },
        ],
      },
    });
  }
}
