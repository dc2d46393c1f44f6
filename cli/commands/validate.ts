/** `multitier validate [--env E]`: check environment files; every problem is one line, exit 1. */
import { environmentNameFromFile } from "../../config/environment";
import { environmentFile, environmentFileErrors, listEnvironmentFiles } from "../../config/load";
import { EXIT } from "../exit";
import { action, type Register } from "../command";

export const registerValidate: Register = (program, setExit) => {
  program
    .command("validate")
    .description("check environment files under hosts/ (all of them, or --env E)")
    .option("--env <env>", "environment name (hosts/<env>.yaml)")
    .action(
      action(setExit, (opts: { env?: string }) => {
        const files = opts.env ? [environmentFile(opts.env)] : listEnvironmentFiles();
        let bad = 0;
        for (const file of files) {
          const errors = environmentFileErrors(file);
          for (const e of errors) process.stderr.write(`${e.message}\n`);
          if (errors.length) bad++;
          else process.stdout.write(`${file}: ok (${environmentNameFromFile(file)})\n`);
        }
        return bad ? EXIT.badInput : EXIT.ok;
      }),
    );
};
