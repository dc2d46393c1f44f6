/** Turn any error into one line on stderr and an exit code (never a stack trace for bad input). */
import { CommanderError } from "commander";
import { InputError, InputErrors } from "../config/errors";
import { PlanReadError } from "../review/read-error";
import { EXIT } from "./exit";

/** Print one line per problem and choose the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.badInput; // commander printed its own one-line message
  }
  if (err instanceof InputErrors || err instanceof InputError) {
    process.stderr.write(`${err.message}\n`);
    return EXIT.badInput;
  }
  if (err instanceof PlanReadError) {
    process.stderr.write(`review: ${err.message}\n`);
    return EXIT.badInput;
  }
  if (process.env.MULTITIER_DEBUG) console.error(err);
  process.stderr.write(`multitier: ${(err as Error)?.message ?? String(err)}\n`);
  return EXIT.badInput;
}
