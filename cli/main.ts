/**
 * `multitier` command line: one file per command under cli/commands/, registered here.
 * Every error that comes from bad input is printed as one line (never a stack trace).
 */
import { Command } from "commander";
import { reportError } from "./report-error";
import { EXIT } from "./exit";
import { commands } from "./commands";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("multitier")
    .description("Stand up and run the multi-tier research data service (CDKTF stacks + SSH runner)")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // commander puts its "(Did you mean …?)" on a second line: keep every error to one line
      outputError: (s, write) => write(s.replace(/\n\(Did you mean (.+)\?\)\s*$/, " (did you mean $1?)\n")),
    });
  let code: number = EXIT.ok;
  for (const register of commands) register(program, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return reportError(err);
  }
}

