/**
 * `multitier vault create|edit|view --env E` — the environment's secrets without Ansible.
 * create: random values for every secret the playbooks use (refuses to overwrite);
 * edit: decrypt to a private temp dir, $EDITOR, check the YAML, encrypt, always clean up;
 * view: print the decrypted YAML (the one place secret values are shown, on request).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../../config/errors";
import { action as wrap, type Register } from "../command";
import { summary } from "./index";
import { envFlag } from "../runner-flags";

export const registerVault: Register = (program, setExit) => {
  const vault = program.command("vault").description(summary("vault"));
  const action = (name: "create" | "edit" | "view", fn: (env: string) => Promise<void>) =>
    envFlag(vault.command(name)).action(wrap(setExit, (o: { env: string }) => fn(o.env)));
  // loaded when a vault command runs, not for --help (cli/commands/index.ts)
  const lib = () => require("../../runner/secrets/vault") as typeof import("../../runner/secrets/vault");

  action("create", async (envName) => {
    const { vaultFile, vaultPassword, writeVault } = await lib();
    const { newSecrets, secretsYaml } = require("../../runner/secrets/template") as typeof import("../../runner/secrets/template");
    const env = (require("../../config/load") as typeof import("../../config/load")).loadEnvironment(envName);
    const file = vaultFile(env.name);
    if (fs.existsSync(file)) throw new InputError(file, 0, 0, "", "already exists; use `multitier vault edit` (nothing was overwritten)");
    writeVault(file, secretsYaml(newSecrets(env)), vaultPassword(env.name));
    process.stdout.write(`created ${file} (encrypted; view it with: multitier vault view --env ${env.name})\n`);
  });

  action("view", async (envName) => {
    const { decryptVault, vaultFile, vaultPassword } = await lib();
    const file = vaultFile(envName);
    if (!fs.existsSync(file)) throw new InputError(file, 0, 0, "", "no vault file; create one with `multitier vault create`");
    process.stdout.write(decryptVault(file, vaultPassword(envName)));
  });

  action("edit", async (envName) => {
    const { decryptVault, parseSecrets, vaultFile, vaultPassword, writeVault } = await lib();
    const file = vaultFile(envName);
    if (!fs.existsSync(file)) throw new InputError(file, 0, 0, "", "no vault file; create one with `multitier vault create`");
    const password = vaultPassword(envName);
    const plain = decryptVault(file, password);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-vault-"));
    try {
      fs.chmodSync(dir, 0o700);
      const tmp = path.join(dir, `${envName}.vault.yml`);
      fs.writeFileSync(tmp, plain, { mode: 0o600 });
      const editor = process.env.EDITOR || "vi";
      const r = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "editor", tmp], { stdio: "inherit" });
      if (r.status !== 0) throw new Error(`the editor (${editor}) exited with ${r.status}; nothing was changed`);
      const edited = fs.readFileSync(tmp, "utf8");
      if (edited === plain) {
        process.stdout.write("no change\n");
        return;
      }
      parseSecrets(file, edited);
      writeVault(file, edited, password);
      process.stdout.write(`saved ${file}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
};
