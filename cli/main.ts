/**
 * `multitier` command line: one file per command under cli/commands/, listed in a static table
 * (cli/commands/index.ts). Only the command that runs is loaded; `--help`, `--version` and a
 * mistyped command are answered from the table alone, so they start in a fraction of the time
 * (bench/startup.sh). Every error that comes from bad input is printed as one line (never a
 * stack trace).
 */
import { Command, Help } from "commander";
import * as fs from "fs";
import * as path from "path";
import { reportError } from "./report-error";
import { EXIT } from "./exit";
import { commands, type CommandEntry } from "./commands";

function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

/** The command argv names (`multitier help <command>` included), or undefined for --help, --version, a typo. */
export function chosenCommand(argv: string[]): CommandEntry | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  const name = words[0] === "help" ? words[1] : words[0];
  return commands.find((c) => c.name === name);
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
  const chosen = chosenCommand(argv);
  if (chosen) chosen.load()(program, (c) => (code = c));
  else {
    // --help, --version, no command or an unknown one: the table's names and summaries suffice
    const terms = new Map(commands.map((c) => [c.name, c.term]));
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? new Help().subcommandTerm(cmd) });
    for (const c of commands) program.command(c.name).description(c.summary);
  }
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return reportError(err);
  }
}
