/**
 * After a reboot, encrypted volumes stay closed (crypttab says noauto: the passphrase is not
 * on the host). `multitier unlock <service>` opens each of them, mounts it, then runs the
 * service playbook's `restart` tasks. It never formats anything (luks `format: false`).
 */
import type { Environment } from "../config/environment";
import { modules } from "./modules";
import type { Play, Playbook, Task } from "./playbook";

const where = (field: string) => ({ file: "(unlock)", line: 0, col: 0, field });

function task(name: string, moduleName: string, args: Record<string, unknown>, loopField: string): Task {
  return {
    name,
    module: modules[moduleName],
    moduleName,
    args,
    loop: "host.volumes|keys",
    when: "host.volumes[item].encryption == 'luks'",
    notify: [],
    tags: ["restart"],
    vars: {},
    where: where(loopField),
  };
}

/** The play that opens and mounts a tier's encrypted volumes with `vault.unlock.<tier>`. */
export function unlockPlay(env: Environment, tiers: string[]): Play {
  return {
    name: "unlock encrypted volumes",
    hosts: tiers.join(","),
    become: true,
    vars: {},
    tags: [],
    tasks: [
      task("open", "luks", { volume: "{{item}}", passphrase: "{{lookup vault.unlock tier.name}}", format: false }, "luks"),
      task("mount", "mount", { volume: "{{item}}" }, "mount"),
    ],
    handlers: [],
    where: where(env.name),
  };
}

export function withUnlock(env: Environment, book: Playbook, tiers: string[]): Playbook {
  if (tiers.length === 0) return book; // nothing encrypted: just start the services
  return { ...book, plays: [unlockPlay(env, tiers), ...book.plays] };
}

/** Tiers of `book` that have encrypted volumes. */
export function encryptedTiers(env: Environment, book: Playbook): string[] {
  const named = new Set(book.plays.flatMap((p) => p.hosts.split(",").map((x) => x.trim())));
  return Object.entries(env.tiers)
    .filter(([t, spec]) => (named.has(t) || named.has("all")) && spec.volumes.some((v) => v.encryption === "luks"))
    .map(([t]) => t);
}
