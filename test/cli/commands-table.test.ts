/**
 * The command line's static table (cli/commands/index.ts) against the commands themselves:
 * every command a module registers is in the table under the term and summary `--help` shows,
 * and its loader loads the module that registers it. And what a start loads: `--help` and
 * `validate --help` load no command's dependencies (no zod, yaml, ssh2, handlebars, cdktf …),
 * counted in a fresh node process through the real bin/multitier.js, both from the compiled
 * cache's bundles (only main.js for --help, main.js and the command's bundle otherwise) and
 * through tsx.
 */
import { spawnSync } from "child_process";
import { Command, Help } from "commander";
import * as fs from "fs";
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

/**
 * What a run of bin/multitier.js has loaded when it exits (a preload hook reads require.cache):
 * the packages, and the files of the compiled cache's build (.cache/dist/<build>/main.js …).
 * With the compiled cache the packages a bundle holds are not in require.cache (they are inside
 * the bundle), so the packages are counted through tsx (MULTITIER_NO_COMPILE_CACHE=1), which
 * loads the sources' requires one by one, and the bundles are counted on the compiled run.
 */
function loaded(args: string[], tsx: boolean): { packages: string[]; files: string[]; bundles: string[] } {
  const hook = `process.on("exit", () => { const s = new Set(), b = [], files = []; for (const f of Object.keys(require.cache)) { const m = f.match(/node_modules\\/((@[^/]+\\/)?[^/]+)/); if (m) { s.add(m[1]); files.push(f); } const c = f.match(/\\.cache\\/dist\\/[^/]+\\/([^/]+\\.js)$/); if (c) b.push(c[1]); } process.stderr.write("LOADED " + JSON.stringify({ packages: [...s], files, bundles: b.sort() }) + "\\n"); });`;
  const env = { ...process.env, MULTITIER_NO_COMPILE_CACHE: tsx ? "1" : "" };
  const r = spawnSync(process.execPath, ["-e", `${hook} process.argv.splice(1, 0, ${JSON.stringify(path.join(ROOT, "bin", "multitier.js"))}); require(process.argv[1]);`, "--", ...args], { cwd: ROOT, encoding: "utf8", env });
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  if (!line) throw new Error(`no LOADED line: ${r.stderr}`);
  return JSON.parse(line.slice(7));
}

/** the packages the bundle `name` of the current build holds (its inputs.json, from esbuild's metafile) */
function bundledPackages(name: string): string[] {
  const build = JSON.parse(fs.readFileSync(path.join(ROOT, ".cache", "dist", "stamp.json"), "utf8")).build;
  const inputs: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, ".cache", "dist", build, "inputs.json"), "utf8"))[name];
  return [...new Set(inputs.map((f) => f.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1]).filter((p): p is string => p !== undefined))].sort();
}

const TOOLING = ["tsx", "esbuild", "get-tsconfig", "resolve-pkg-maps"];

// the compiled runs below measure a start from a fresh build, not the one that rebuilds it
beforeAll(() => {
  expect(spawnSync(process.execPath, [path.join(ROOT, "bin", "compile-cache.js")], { cwd: ROOT }).status).toBe(0);
});

test.each([[["--help"]], [["validate", "--help"]], [["deploy", "--help"]], [["policy", "--help"]]])("%j loads no command's dependencies", (args) => {
  expect(loaded(args, true).packages.filter((p) => !TOOLING.includes(p))).toEqual(["commander"]);
  const compiled = loaded(args, false);
  expect(compiled.packages).toEqual([]); // commander is inside main.js
  expect(compiled.bundles).toEqual(args[0] === "--help" ? ["main.js"] : [`${args[0]}.js`, "main.js"].sort());
  expect(bundledPackages("main.js")).toEqual(["commander"]);
});

test("deploy loads what it needs and not cdktf, diff or cron-parser", () => {
  const args = ["deploy", "x", "--env", "no-such-env"];
  const viaTsx = loaded(args, true).packages;
  expect(viaTsx).toEqual(expect.arrayContaining(["commander", "zod", "yaml"]));
  for (const p of ["cdktf", "@cdktf/provider-aws", "constructs", "diff", "cron-parser"]) expect(viaTsx).not.toContain(p);
  const compiled = loaded(args, false);
  expect(compiled.bundles).toEqual(["deploy.js", "main.js"]);
  // outside the bundle only the native parts: ssh2's sshcrypto.node and the optional cpu-features
  // (diff and cron-parser, required lazily, are outside too, and not loaded: see above)
  expect(compiled.files.filter((f) => !f.endsWith(".node") && !f.includes("/node_modules/cpu-features/"))).toEqual([]);
  expect(compiled.files.some((f) => f.endsWith("sshcrypto.node"))).toBe(true);
  const inDeploy = bundledPackages("deploy.js");
  expect(inDeploy).toEqual(expect.arrayContaining(["commander", "zod", "yaml", "ssh2", "node-ssh", "handlebars", "jexl"]));
  for (const p of ["cdktf", "@cdktf/provider-aws", "constructs", "esbuild", "tsx", "cpu-features", "diff", "cron-parser"]) expect(inDeploy).not.toContain(p); // kept outside the bundles
});
