/**
 * Exit codes, one table for every command (Ansible's where they overlap):
 *   0 all good · 1 bad usage or input · 2 a task failed · 3 review: plan destroys data ·
 *   4 a host was unreachable.
 * Environment-file errors found by `validate` and `synth` exit 2 (issue #2's contract for the
 * infrastructure half); the runner commands report every bad input, environment files
 * included, with 1 so that 2 keeps meaning "a task failed".
 */
export const EXIT = { ok: 0, badInput: 1, taskFailed: 2, invalidEnvironment: 2, destroysData: 3, unreachable: 4 } as const;
