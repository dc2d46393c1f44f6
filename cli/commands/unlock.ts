/**
 * `multitier unlock <service> --env E` (make unlock-<service>): after a reboot, open the
 * tier's LUKS volumes, mount them and start its services. The passphrase is asked without
 * echo on the terminal — or, when the environment sets `vars: { unlockFromVault: true }`,
 * taken from the vault (`luks.<tier>`). Without a terminal it is read from stdin (one line).
 * On a kernel without device-mapper it says so and stops; it never reports a volume opened
 * that was not.
 */
import * as fs from "fs";
import * as readline from "readline";
import { Writable } from "stream";
import { InputError } from "../../config/errors";
import { loadEnvironment } from "../../config/load";
import { defaultDeps } from "../../runner/connect";
import { run } from "../../runner/run";
import { reportError } from "../report-error";
import { runnerOptions, toRequest } from "./deploy";
import type { Register } from "./index";

/** The terminal when there is one (prompt without echo), else stdin (one line). */
function passphraseInput(): { input: NodeJS.ReadableStream; terminal: boolean; close(): void } {
  if (process.env.MULTITIER_NO_TTY !== "1") {
    try {
      const fd = fs.openSync("/dev/tty", "r");
      const tty = fs.createReadStream("", { fd });
      return { input: tty, terminal: true, close: () => tty.destroy() };
    } catch {
      /* no controlling terminal: fall back to stdin */
    }
  }
  return { input: process.stdin, terminal: false, close: () => undefined };
}

async function ask(prompt: string): Promise<string> {
  const src = passphraseInput();
  let muted = false;
  const output = new Writable({
    write: (chunk, _enc, cb) => {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = readline.createInterface({ input: src.input, output, terminal: src.terminal });
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    muted = true; // what is typed is not echoed
    rl.question("", (answer) => {
      muted = false;
      process.stderr.write("\n");
      rl.close();
      src.close();
      resolve(answer);
    });
  });
}

export const registerUnlock: Register = (program, setExit) => {
  runnerOptions(program.command("unlock <service...>").description("after a reboot: open the tier's LUKS volumes, mount them, start its services")).action(
    async (services: string[], flags) => {
      try {
        const req = toRequest("unlock", services, flags);
        const env = loadEnvironment(req.env);
        const fromVault = env.vars.unlockFromVault === true;
        const cache = new Map<string, string>();
        const { code } = await run(req, {
          ...defaultDeps(),
          passphrase: async (tier, vault) => {
            if (fromVault) {
              const v = (vault.luks as Record<string, unknown> | undefined)?.[tier];
              if (typeof v !== "string") throw new InputError(`hosts/${env.name}.vault.yml`, 0, 0, `luks.${tier}`, "expected the tier's LUKS passphrase in the vault (unlockFromVault is set)");
              return v;
            }
            if (!cache.has(tier)) cache.set(tier, await ask(`LUKS passphrase for the ${tier} volumes of ${env.name}: `));
            return cache.get(tier)!;
          },
        });
        setExit(code);
      } catch (e) {
        setExit(reportError(e));
      }
    },
  );
};
