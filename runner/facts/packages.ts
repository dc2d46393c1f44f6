/**
 * Installed packages (and, for state: latest, which have a newer candidate), by dpkg-query and
 * apt-cache policy on apt hosts, rpm and dnf/yum list elsewhere. One command per task.
 */
import { shq } from "../modules/types";
import { shAnswer } from "./parse";
import type { Reader } from "./types";

export interface Packages {
  installed: Set<string>;
  upgradable: Set<string>;
}

/** the name dpkg/rpm know a package by: no version pin, no architecture */
export const baseName = (n: string): string => n.split("=")[0].split(":")[0];

/** `apt-cache policy` output → names whose candidate differs from the installed version. */
export function aptUpgradable(policy: string): Set<string> {
  const out = new Set<string>();
  let name = "";
  let installed = "";
  for (const line of policy.split("\n")) {
    const head = /^(\S+):$/.exec(line);
    if (head) [name, installed] = [baseName(head[1]), ""];
    const inst = /^\s+Installed: (.+)$/.exec(line);
    if (inst) installed = inst[1].trim();
    const cand = /^\s+Candidate: (.+)$/.exec(line);
    if (cand && name && installed && installed !== "(none)" && cand[1].trim() !== "(none)" && cand[1].trim() !== installed) out.add(name);
  }
  return out;
}

function script(names: string[], pm: string, latest: boolean): string {
  const list = [...new Set(names.map(baseName))].map(shq).join(" ");
  if (pm === "apt") {
    const policy = latest ? `; echo '--policy'; apt-cache policy ${list} 2>/dev/null` : "";
    return `dpkg-query -W -f='\${db:Status-Status}:\${Package}\\n' ${list} 2>/dev/null${policy}; true`;
  }
  const upgrades = latest ? `; ${pm} -q list ${pm === "yum" ? "updates" : "--upgrades"} ${list} 2>/dev/null | awk 'NF==3 { sub(/\\.[^.]*$/, "", $1); print "upgradable:" $1 }'` : "";
  return `rpm -q --qf 'installed:%{NAME}\\n' ${list} 2>/dev/null${upgrades}; true`;
}

export const packages: Reader<{ names: string[]; pm: string; latest: boolean }, Packages> = {
  name: "packages",
  doc: "which of these packages are installed, and which have a newer candidate (apt, dnf, yum)",
  native: false,
  op: (a) => ({ op: "sh", script: script(a.names, a.pm, a.latest) }),
  read(r, what) {
    const [status, policy = ""] = shAnswer(r, what).stdout.split("--policy\n");
    const lines = status.split("\n");
    const tagged = (tag: string) => new Set(lines.flatMap((l) => (l.startsWith(tag) ? [l.slice(tag.length)] : [])));
    return { installed: tagged("installed:"), upgradable: policy ? aptUpgradable(policy) : tagged("upgradable:") };
  },
};
