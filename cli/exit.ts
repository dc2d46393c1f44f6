/**
 * Exit codes: one meaning each, the same for every command. The table operators read is in
 * README.md ("Exit codes"); keep the two in step.
 */
export const EXIT = {
  /** all good */
  ok: 0,
  /** bad usage or input — arguments, environment files, playbooks, vault, plan files: refused before anything was sent or synthesized */
  badInput: 1,
  /** deploy/restart/unlock: a task failed on some host */
  taskFailed: 2,
  /** review: the plan destroys or replaces something that holds data */
  destroysData: 3,
  /** a host (or the bastion) was unreachable; takes precedence over taskFailed, as in Ansible */
  unreachable: 4,
  /** policy: a finding that no waiver covers */
  policyFinding: 5,
  /** review: Terraform's planning failed (an errored plan: "errored": true) */
  planFailed: 6,
  /** interrupted (Ctrl-C): operations in flight finished, recap printed */
  interrupted: 130,
} as const;
