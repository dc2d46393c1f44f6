/** `multitier validate [--env E]`: check environment files; every problem is one line, exit 2. */
import { environmentNameFromFile } from "../../config/environment";
import { InputError } from "../../config/errors";
import { checkEnvironment, environmentFile, listEnvironmentFiles } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { EXIT } from "../exit";
import type { Register } from "./index";

export const registerValidate: Register = (program, setExit) => {
  program
    .command("validate")
    .description("check environment files under hosts/ (all of them, or --env E)")
    .option("--env <env>", "environment name (hosts/<env>.yaml)")
    .action((opts: { env?: string }) => {
      const files = opts.env ? [environmentFile(opts.env)] : listEnvironmentFiles();
      let bad = 0;
      for (const file of files) {
        let errors: InputError[];
        try {
          errors = checkEnvironment(YamlSource.read(file)).errors;
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
