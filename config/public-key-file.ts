/**
 * `keyPair.publicKeyFile` is read by Terraform's file(pathexpand(…)) at validate/plan time, on
 * the operator's machine. `multitier validate` checks it first (when it runs the terraform
 * step), so a missing key is one line at the field — not a Terraform error about a function call.
 * `~/` is expanded the way Terraform's pathexpand does: from $HOME.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Environment } from "./environment";
import type { InputError } from "./errors";
import type { YamlSource } from "./yamlsource";

/** The file `~/…` or an absolute path names, for `home`. */
export function expandHome(file: string, home = process.env.HOME || os.homedir()): string {
  return file.startsWith("~/") ? path.join(home, file.slice(2)) : file;
}

export function publicKeyFileErrors(source: YamlSource, env: Environment, home?: string): InputError[] {
  const given = env.keyPair.publicKeyFile;
  if (!given) return [];
  const file = expandHome(given, home);
  const named = file === given ? given : `${given} (${file})`;
  let why: string | undefined;
  try {
    if (!fs.statSync(file).isFile()) why = "is not a file";
    else fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${code})`;
  }
  if (!why) return [];
  return [source.error(["keyPair", "publicKeyFile"], `${named} ${why} (expected a readable public key file, e.g. from ssh-keygen -t ed25519; or name an existing key pair with keyPair.name)`)];
}
