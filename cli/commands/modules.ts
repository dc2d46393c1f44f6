/**
 * `multitier modules [name]`: the module reference — every module with its one-line doc and
 * its arguments (type, required or default), read from the modules' own schemas
 * (runner/modules/reference.ts). `--json` for machines. An unknown name is exit 1.
 */
import { InputError } from "../../config/errors";
import { action, type Register } from "../command";
import { summary } from "./index";

export const registerModules: Register = (program, setExit) => {
  program
    .command("modules [name]")
    .description(summary("modules"))
    .option("--json", "as JSON")
    .action(
      action(setExit, async (name: string | undefined, o: { json?: boolean }) => {
        // loaded when the command runs, not for --help (cli/commands/index.ts)
        const { didYouMean } = require("../../config/validate") as typeof import("../../config/validate");
        const { modules, moduleNames } = require("../../runner/modules") as typeof import("../../runner/modules");
        const { moduleArguments, moduleReference } = require("../../runner/modules/reference") as typeof import("../../runner/modules/reference");
        const names = moduleNames();
        if (name !== undefined && !modules[name]) throw new InputError("argument", 0, 0, "name", `no module "${name}"${didYouMean(name, names) || `; modules: ${names.join(", ")}`}`);
        const chosen = name ? [name] : names;
        if (o.json) process.stdout.write(JSON.stringify(chosen.map((n) => ({ name: n, doc: modules[n].doc, arguments: moduleArguments(modules[n].args) })), null, 2) + "\n");
        else process.stdout.write(chosen.map((n) => moduleReference(modules[n])).join("\n\n") + "\n");
      }),
    );
};
