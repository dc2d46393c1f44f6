/**
 * `multitier unlock <service> --env E` (make unlock-<service>): after a reboot, open the
 * tier's LUKS volumes, mount them and start its services. The passphrase is asked without
 * echo on the terminal — or, when the environment sets `vars: { unlockFromVault: true }`,
 * taken from the vault (`luks.<tier>`). Without a terminal it is read from stdin (one line);
 * with neither a terminal nor a line on stdin it stops with one line and exit 1 (nothing opened).
 * On a kernel without device-mapper it says so and stops; it never reports a volume opened
 * that was not.
 */
import * as fs from "fs";
import * as readline from "readline";
import { Writable } from "stream";
import { InputError } from "../../config/errors";
import { action, type Register } from "../command";
import { summary } from "./index";
import { connectionFlags, envFlag, lockFlag, toRequest, type RunnerFlags } from "../runner-flags";

/** The terminal when there is one (prompt without echo), else stdin (one line). */
function passphraseInput(): {
  input: NodeJS.ReadableStream;
  terminal: boolean;
  close(): void;
} {
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

/** Without a terminal and without a line on stdin there is no passphrase: bad input, said once. */
const NO_PASSPHRASE = (tier: string, env: string) =>
  new InputError(
    "argument",
    0,
    0,
    "unlock",
    `no terminal to ask the ${tier} LUKS passphrase of ${env} on and no line on stdin: run it on a terminal, pipe the passphrase in, or set vars.unlockFromVault with luks.${tier} in the vault`
  );

async function ask(prompt: string, noAnswer: () => Error): Promise<string> {
  const src = passphraseInput();
  let muted = false;
  const output = new Writable({
    write: (chunk, _enc, cb) => {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = readline.createInterface({
    input: src.input,
    output,
    terminal: src.terminal,
  });
  return new Promise((resolve, reject) => {
    let answered = false;
    process.stderr.write(prompt);
    muted = true; // what is typed is not echoed
    rl.question("", (answer) => {
      answered = true;
      muted = false;
      process.stderr.write("\n");
      rl.close();
      src.close();
      resolve(answer);
    });
    // stdin ended without a line (no terminal, nothing piped): no passphrase, not an empty one
    rl.once("close", () => {
      if (!answered) reject(noAnswer());
    });
  });
}

export const registerUnlock: Register = (program, setExit) => {
  lockFlag(connectionFlags(envFlag(program.command("unlock <service...>").description(summary("unlock"))))).action(
    action(setExit, async (services: string[], flags: RunnerFlags) => {
      const req = toRequest("unlock", services, flags);
      // loaded when the command runs, not for --help (cli/commands/index.ts)
      const { loadEnvironment } = require("../../config/load") as typeof import("../../config/load");
      const { defaultDeps } = require("../../runner/connect") as typeof import("../../runner/connect");
      const { run } = require("../../runner/run") as typeof import("../../runner/run");
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
          if (!cache.has(tier)) cache.set(tier, await ask(`LUKS passphrase for the ${tier} volumes of ${env.name}: `, () => NO_PASSPHRASE(tier, env.name)));
          return cache.get(tier)!;
        },
      });
      return code;
    })
  );
};
