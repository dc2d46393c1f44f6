/**
 * Secrets of an environment: `hosts/<env>.vault.yml`, encrypted in the Ansible Vault 1.1
 * format (the `ansible-vault` npm package; files interoperate with `ansible-vault edit`).
 *
 * The password comes from $MULTITIER_VAULT_PASSWORD, else from the file `vault-key.<env>`
 * in the working directory (git-ignored), which must be readable by its owner only.
 * Every problem is one line naming the file; the password is never echoed.
 */
import * as fs from "fs";
import * as path from "path";
import { Vault } from "ansible-vault";
import { InputError } from "../../config/errors";
import { checkEnvName, hostsDir } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";

export function vaultFile(env: string): string {
  return path.join(hostsDir(), `${checkEnvName(env)}.vault.yml`);
}

export function vaultKeyFile(env: string): string {
  return path.join(process.env.MULTITIER_VAULT_KEY_DIR ?? ".", `vault-key.${checkEnvName(env)}`);
}

/** The vault password, or a one-line error saying where it was looked for. */
export function vaultPassword(env: string): string {
  if (process.env.MULTITIER_VAULT_PASSWORD) return process.env.MULTITIER_VAULT_PASSWORD;
  const key = vaultKeyFile(env);
  let st: fs.Stats;
  try {
    st = fs.statSync(key);
  } catch {
    throw new InputError(key, 0, 0, "", `vault password file not found; create it (mode 0600) or set MULTITIER_VAULT_PASSWORD`);
  }
  if (!st.isFile()) throw new InputError(key, 0, 0, "", "vault password file is not a regular file");
  const mode = st.mode & 0o777;
  if (mode & 0o077)
    throw new InputError(key, 0, 0, "", `vault password file is readable by others (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 600 ${key}`);
  const pw = fs.readFileSync(key, "utf8").replace(/\r?\n$/, "");
  if (!pw) throw new InputError(key, 0, 0, "", "vault password file is empty");
  return pw;
}

export function decryptVault(file: string, password: string): string {
  const text = fs.readFileSync(file, "utf8");
  if (!text.startsWith("$ANSIBLE_VAULT;")) throw new InputError(file, 1, 1, "", "expected an Ansible Vault file ($ANSIBLE_VAULT;1.1;AES256 …); encrypt it with `multitier vault create` or `ansible-vault encrypt`");
  let plain: string | undefined;
  try {
    plain = new Vault({ password }).decryptSync(text, undefined);
  } catch (e) {
    const msg = (e as Error).message;
    if (/integrity/i.test(msg)) throw new InputError(file, 0, 0, "", "wrong vault password (integrity check failed)");
    throw new InputError(file, 0, 0, "", `cannot decrypt: ${msg}`);
  }
  if (plain === undefined) throw new InputError(file, 0, 0, "", "cannot decrypt: not a vault this tool understands (vault ids other than the default?)");
  return plain;
}

/** Parse decrypted YAML; errors name a position in the DECRYPTED text, never a value. */
export function parseSecrets(file: string, plain: string): Record<string, unknown> {
  const src = new YamlSource(`${file} (decrypted)`, plain);
  const syntax = src.syntaxError();
  if (syntax) throw new InputError(syntax.file, syntax.line, syntax.col, syntax.field, syntax.detail.replace(/:.*$/, ""));
  const value = src.value();
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InputError(`${file} (decrypted)`, 1, 1, "", "expected a mapping of secret names to values");
  return value as Record<string, unknown>;
}

/** The decrypted secrets of `env`, or undefined when the environment has no vault file. */
export function readVault(env: string): Record<string, unknown> | undefined {
  const file = vaultFile(env);
  if (!fs.existsSync(file)) return undefined;
  return parseSecrets(file, decryptVault(file, vaultPassword(env)));
}

/** Encrypt YAML text to `file` (0600), atomically. */
export function writeVault(file: string, yamlText: string, password: string): void {
  parseSecrets(file, yamlText); // refuse to encrypt something we could not read back
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, new Vault({ password }).encryptSync(yamlText, undefined as unknown as string) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}
