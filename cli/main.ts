/**
 * `multitier` command line: one file per command under cli/commands/, registered here.
 * Every error that comes from bad input is printed as one line (never a stack trace).
 */
import { Command, CommanderError } from "commander";
import { InputError } from "../config/errors";
import { InputErrors } from "../config/load";
import { EXIT } from "./exit";
import { commands } from "./commands";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("multitier")
    .description("Stand up and run the multi-tier research data service (CDKTF stacks + SSH runner)")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code: number = EXIT.ok;
  for (const register of commands) register(program, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return reportError(err);
  }
}

/** Print one line per problem and choose the exit code. */
export function reportError(err: unknown, inputExit: number = EXIT.badInput): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.badInput; // commander printed its own one-line message
  }
  if (err instanceof InputErrors || err instanceof InputError) {
    process.stderr.write(`${err.message}\n`);
    return inputExit;
  }
  if (process.env.MULTITIER_DEBUG) console.error(err);
  process.stderr.write(`multitier: ${(err as Error)?.message ?? String(err)}\n`);
  return EXIT.badInput;
}
