/**
 * `multitier validate [--env E]`: check environment files; every problem is one line, exit 2.
 * Also refuses removing a host whose volumes hold data unless `tiers.<t>.retire` names it.
 */
import { environmentNameFromFile } from "../../config/environment";
import { InputError } from "../../config/errors";
import { checkRemovals } from "../../config/identities";
import { checkEnvironment, environmentFile, listEnvironmentFiles } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { EXIT } from "../exit";
import type { Register } from "./index";

export const registerValidate: Register = (program, setExit) => {
  program
    .command("validate")
    .description("check environment files under hosts/ (all of them, or --env E)")
    .option("--env <env>", "environment name (hosts/<env>.yaml)")
    .option("--base <ref>", "git ref whose environment files say which hosts exist (default HEAD; CI: the base branch)", "HEAD")
    .action((opts: { env?: string; base: string }) => {
      const files = opts.env ? [environmentFile(opts.env)] : listEnvironmentFiles();
      let bad = 0;
      for (const file of files) {
        let errors: InputError[];
        try {
          const source = YamlSource.read(file);
          const checked = checkEnvironment(source);
          // hosts that exist (outputs, git HEAD) and would go with their data: refused unless retired
          errors = checked.env ? checkRemovals(source, checked.env, opts.base) : checked.errors;
        } catch (e) {
          errors = [e as InputError];
        }
        for (const e of errors) process.stderr.write(`${e.message}\n`);
        if (errors.length) bad++;
        else process.stdout.write(`${file}: ok (${environmentNameFromFile(file)})\n`);
      }
      setExit(bad ? EXIT.invalidEnvironment : EXIT.ok);
    });
};
