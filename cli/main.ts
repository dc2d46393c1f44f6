/**
 * `multitier` command line: one file per command under cli/commands/, registered here.
 * Every error that comes from bad input is printed as one line (never a stack trace).
 */
import { Command } from "commander";
import * as fs from "fs";
import * as path from "path";
import { reportError } from "./report-error";
import { EXIT } from "./exit";
import { commands } from "./commands";

function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command("multitier")
    .description("Stand up and run the multi-tier research data service (CDKTF stacks + SSH runner)")
    .version(version(), "-V, --version", "print the version (package.json) and exit")
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

