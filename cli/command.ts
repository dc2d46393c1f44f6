/**
 * What a command is, and the one place its errors become exit codes. Every file under
 * cli/commands/ exports a `Register`; its action body is wrapped in `action()`, which records
 * the code the body returns (EXIT.ok when it returns nothing) or turns what it throws into one
 * line on stderr and the code for that kind of error (cli/report-error.ts, cli/exit.ts).
 */
import type { Command } from "commander";
import { EXIT } from "./exit";
import { reportError } from "./report-error";

/** Adds one command (or a group) to the program; `setExit` records the code the run ends with. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

/** Wrap a command's body: its return value is the exit code; a throw is one line and its code. */
export function action<A extends unknown[]>(setExit: (code: number) => void, body: (...args: A) => number | void | Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await body(...args);
      setExit(code ?? EXIT.ok);
    } catch (e) {
      setExit(reportError(e));
    }
  };
}
