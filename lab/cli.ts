/**
 * The lab from a shell:  node --import tsx lab/cli.ts up|down|status
 *   make lab-up [LAB_HOSTS=n]      a bastion + n hosts per tier of hosts/lab.yaml
 *   make lab-down                  remove all of it (safe twice)
 * Environment: LAB_HOSTS (hosts per tier, default 1), LAB_KIND (systemd, the default: Debian
 * roots booted by systemd-nspawn; overlay: chrooted sshd over this machine's /), LAB_ID (default "lab": another id
 * brings up a second lab beside it), LAB_DIR (outputs there and lab files in
 * LAB_DIR/.lab/<id>, instead of hosts/ and .lab/<id>). Needs root on Linux; says so in one
 * line otherwise. Exit 0 on success, 1 on any error (one line, no stack trace).
 */
import * as path from "path";
import { labDown, labUp, MAX_HOSTS_PER_TIER, readState, requireRoot } from "./lab";
import { registeredIds, resolveLabDir } from "./state";

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r.startsWith("..") ? p : r;
};

async function main(): Promise<number> {
  const [cmd] = process.argv.slice(2);
  const id = process.env.LAB_ID || "lab";
  const dir = process.env.LAB_DIR || undefined;
  try {
    if (!["up", "down", "status"].includes(cmd)) throw new Error("usage: lab/cli.ts up|down|status  (LAB_HOSTS=n LAB_ID=id LAB_DIR=dir)");
    requireRoot();
    if (cmd === "up") {
      const t0 = Date.now();
      const raw = process.env.LAB_HOSTS || "1";
      const hostsPerTier = Number(raw);
      if (!/^\d+$/.test(raw) || hostsPerTier < 1 || hostsPerTier > MAX_HOSTS_PER_TIER) throw new Error(`LAB_HOSTS: expected a number of hosts per tier, 1-${MAX_HOSTS_PER_TIER}, got "${raw}"`);
      const s = await labUp({ id, hostsPerTier, dir });
      const db = s.hosts.find((h) => h.subnet === "private") ?? s.hosts[0];
      const cfg = rel(s.sshConfigFile);
      console.log(`lab ${id} up in ${((Date.now() - t0) / 1000).toFixed(1)}s: bastion ${s.bastion.address} + ${s.hosts.length} hosts`);
      for (const h of s.hosts) console.log(`  ${h.name.padEnd(14)} ${h.address.padEnd(14)} ${h.subnet}${h.volumes.length ? `  volumes: ${h.volumes.map((v) => `${v.name}=${v.volumeId}`).join(" ")}` : ""}`);
      console.log(`wrote ${rel(s.outputsFile)}, ${rel(s.knownHostsFile)}, ${cfg}; key ${rel(s.keyFile)} (0600)`);
      console.log(`runner:  make ping ENV=${s.envName}     ./bin/multitier.js deploy all --env ${s.envName}`);
      console.log(`ssh:     ssh -F ${cfg} -J ${s.user}@${s.bastion.address} ${s.user}@${db.address}     # ${db.name}, through the bastion`);
      console.log(`         ssh -F ${cfg} ${db.name}                                       # the same, by name`);
      console.log(`         (${cfg} sets the key, UserKnownHostsFile=${rel(s.knownHostsFile)}, StrictHostKeyChecking yes — for the jump too)`);
      console.log(`down:    ${id === "lab" ? "" : `LAB_ID=${id} `}make lab-down`);
    } else if (cmd === "down") {
      const { removed } = await labDown({ id, dir });
      console.log(removed ? `lab ${id} removed: namespaces, processes, mounts, loop devices, files` : `lab ${id}: nothing to remove`);
    } else {
      const ids = [...new Set([id, ...registeredIds()])];
      for (const i of ids) {
        const s = readState(i, resolveLabDir({ id: i, dir }, true));
        console.log(s ? `lab ${i}: bastion ${s.bastion.address}, ${s.hosts.length} hosts, files in ${rel(s.labDir)}` : `lab ${i}: not up`);
      }
    }
    return 0;
  } catch (e) {
    console.error(`lab: ${(e as Error).message.split("\n")[0].replace(/^lab: /, "")}`);
    return 1;
  }
}

main().then((c) => process.exit(c));
