/**
 * `make lab-up [LAB_HOSTS=n]` / `make lab-down`: node --import tsx lab/cli.ts up|down|status
 * (LAB_ID selects another lab than the default `lab`).
 */
import * as path from "path";
import { labDown, labUp, readState } from "./lab";

async function main(): Promise<number> {
  const [cmd] = process.argv.slice(2);
  const id = process.env.LAB_ID ?? "lab";
  try {
    if (cmd === "up") {
      const t0 = Date.now();
      const hostsPerTier = Number(process.env.LAB_HOSTS ?? "1");
      if (!Number.isInteger(hostsPerTier) || hostsPerTier < 1 || hostsPerTier > 30) throw new Error(`LAB_HOSTS: expected 1-30, got "${process.env.LAB_HOSTS}"`);
      const s = await labUp({ id, hostsPerTier });
      const rel = (p: string) => path.relative(process.cwd(), p);
      console.log(`lab up in ${((Date.now() - t0) / 1000).toFixed(1)}s: bastion ${s.bastion.address} + ${s.hosts.length} hosts (${s.hosts.map((h) => h.name).join(", ")})`);
      console.log(`  wrote ${rel(s.outputsFile)}, ${rel(s.knownHostsFile)}; key ${rel(s.keyFile)}`);
      console.log(`  try:  make ping ENV=lab     or     ./bin/multitier.js deploy all --env lab`);
      const h = s.hosts[0];
      // -J would not pass -i/-o to the jump connection, so spell the ProxyCommand out
      const o = `-i ${rel(s.keyFile)} -o UserKnownHostsFile=${rel(s.knownHostsFile)}`;
      console.log(`  ssh:  ssh ${o} -o ProxyCommand="ssh ${o} -W %h:%p ${s.user}@${s.bastion.address}" ${s.user}@${h.address}   # ${h.name}`);
      console.log(`  down: make lab-down`);
    } else if (cmd === "down") {
      const had = readState(id);
      await labDown({ id });
      console.log(had ? `lab ${id} removed (namespaces, processes, loop devices, files)` : `lab ${id}: nothing to remove`);
    } else if (cmd === "status") {
      const s = readState(id);
      console.log(s ? JSON.stringify({ bastion: s.bastion.address, hosts: s.hosts.map((h) => `${h.name} ${h.address}`) }, null, 2) : `lab ${id} is not up`);
    } else {
      throw new Error("usage: lab/cli.ts up|down|status");
    }
    return 0;
  } catch (e) {
    console.error(`lab: ${(e as Error).message.split("\n")[0]}`);
    return 1;
  }
}

main().then((c) => process.exit(c));
