/**
 * The secret guard: every op on its way to a host passes `AgentClient.call`, which asks this
 * file whether any part of the op that can end up on a command line, in a path or in a
 * process's environment holds a secret (a vault value). Secrets may travel only inside file
 * contents (`write.content`) and stdin (`sh.stdin`), which no other local user can read.
 *
 * The switch below is exhaustive over `Op`: a new op type does not compile until it says
 * which of its fields are visible, so no op can pass unchecked by being forgotten.
 */
import type { Op } from "./protocol";

/** What the guard needs to know: is this text (or a part of it) a secret? */
export interface SecretTest {
  isSecret(text: string): boolean;
}

/** The fields of `op` a local user of the host could see (argv, paths, environment, names). */
export function visibleFields(op: Op): (string | undefined)[] {
  switch (op.op) {
    case "sh":
      return [op.script, op.cwd, op.user, ...Object.keys(op.env ?? {}), ...Object.values(op.env ?? {})];
    case "write":
      return [op.path, op.validate, op.owner, op.group, op.mode];
    case "stat":
      return [op.path];
    case "path":
      return [op.path, op.src, op.owner, op.group, op.mode];
    case "account":
      return [op.name];
    case "crontab":
      return [op.user];
    case "facts":
      return [];
    case "lock": // the holder record is readable by every user of the host (a 0644 file)
      return [op.path, ...Object.values(op.holder)];
    default: {
      const unknown: never = op;
      throw new Error(`the secret guard does not know the op ${JSON.stringify(unknown)}`);
    }
  }
}

export const SECRET_REFUSED = "refusing to send a secret value on a command line, in a path or in an environment (it must go through stdin or a file's content)";

/** The refusal message when any op of the batch shows a secret, else undefined. */
export function secretOnCommandLine(ops: Op[], secrets: SecretTest): string | undefined {
  for (const op of ops) if (visibleFields(op).some((v) => v !== undefined && v !== "" && secrets.isSecret(v))) return `${SECRET_REFUSED}: ${op.op} op`;
  return undefined;
}

/** Thrown by `AgentClient.call` before anything is sent. */
export class SecretRefusedError extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = "SecretRefusedError";
  }
}
