/**
 * The command line's static table (cli/commands/index.ts) against the commands themselves:
 * every command a module registers is in the table under the term and summary `--help` shows,
 * and its loader loads the module that registers it. And what a start loads: `--help` and
 * `validate --help` load no command's dependencies (no zod, yaml, ssh2, handlebars, cdktf …),
 * counted in a fresh node process through the real bin/multitier.js.
 */
import { spawnSync } from "child_process";
import { Command, Help } from "commander";
import * as path from "path";
import { commands } from "../../cli/commands";

const ROOT = path.join(__dirname, "..", "..");

test("every registered command is in the static table with the term and summary --help shows", () => {
  const help = new Help();
  const seen = new Set<string>();
  for (const entry of commands) {
    const program = new Command("multitier");
    entry.load()(program, () => undefined);
    const cmd = program.commands.find((c) => c.name() === entry.name);
    expect(cmd).toBeDefined();
    expect({ name: entry.name, term: help.subcommandTerm(cmd!), summary: cmd!.description() }).toEqual({ name: entry.name, term: entry.term, summary: entry.summary });
    for (const c of program.commands) seen.add(c.name());
  }
  expect([...seen].sort()).toEqual(commands.map((c) => c.name).sort());
});

/** the packages a run of bin/multitier.js has loaded when it exits (a preload hook counts them) */
function loadedPackages(args: string[]): string[] {
  const hook = `process.on("exit", () => { const s = new Set(); for (const f of Object.keys(require.cache)) { const m = f.match(/node_modules\\/((@[^/]+\\/)?[^/]+)/); if (m) s.add(m[1]); } process.stderr.write("LOADED " + JSON.stringify([...s]) + "\\n"); });`;
  const r = spawnSync(process.execPath, ["-e", `${hook} process.argv.splice(1, 0, ${JSON.stringify(path.join(ROOT, "bin", "multitier.js"))}); require(process.argv[1]);`, "--", ...args], { cwd: ROOT, encoding: "utf8" });
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  if (!line) throw new Error(`no LOADED line: ${r.stderr}`);
  return JSON.parse(line.slice(7));
}

test.each([[["--help"]], [["validate", "--help"]], [["deploy", "--help"]], [["policy", "--help"]]])("%j loads no command's dependencies", (args) => {
  const loaded = loadedPackages(args).filter((p) => p !== "tsx" && p !== "esbuild" && p !== "get-tsconfig" && p !== "resolve-pkg-maps");
  expect(loaded).toEqual(["commander"]);
});

test("deploy loads what it needs and not cdktf, diff or cron-parser", () => {
  const loaded = loadedPackages(["deploy", "x", "--env", "no-such-env"]);
  expect(loaded).toEqual(expect.arrayContaining(["commander", "zod", "yaml"]));
  for (const p of ["cdktf", "@cdktf/provider-aws", "constructs", "diff", "cron-parser"]) expect(loaded).not.toContain(p);
});
