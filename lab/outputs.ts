/**
 * What the lab hands to the runner and to people, like a deployed stack would:
 *
 *   <outDir>/<env>.outputs.json   `terraform output -json` shape, output `inventory`
 *                                 { bastion: { publicIp, privateIp, user },
 *                                   hosts: { <name>: { tier, privateIp, user,
 *                                     volumes: { <vol>: { volumeId, device, mountPoint, filesystem, encryption } } } } }
 *   <outDir>/<env>.known_hosts    OpenSSH format, one line per address the runner dials
 *   <labDir>/ssh_config           for the OpenSSH client:  ssh -F <it> -J ubuntu@<bastion> ubuntu@<host ip>
 *                                 or by name:              ssh -F <it> database
 * (the private key, <labDir>/id_ed25519, is made by lab.ts with ssh-keygen, mode 0600)
 */
import * as fs from "fs";
import type { Environment } from "../config/environment";
import { subnetAddresses } from "./network";
import type { LabHost, LabState } from "./state";

export function inventoryOf(s: LabState, env: Environment): unknown {
  const hosts: Record<string, unknown> = {};
  for (const h of s.hosts) {
    const declared = env.tiers[h.tier].volumes;
    hosts[h.name] = {
      tier: h.tier,
      privateIp: h.address,
      user: s.user,
      volumes: Object.fromEntries(
        h.volumes.map((v) => {
          const d = declared.find((x) => x.name === v.name)!;
          return [v.name, { volumeId: v.volumeId, device: d.device, mountPoint: d.mountPoint, filesystem: d.filesystem, encryption: d.encryption }];
        }),
      ),
    };
  }
  // publicIp: the address the operator dials (its controller link); privateIp: its leg in the
  // public subnet, the source address the tier hosts see, as in the VPC
  const privateIp = subnetAddresses(env.network.publicSubnets[0]).gateway;
  return { bastion: { publicIp: s.bastion.address, privateIp, user: s.user }, hosts };
}

/** Written to a temp name and renamed, so a reader never sees half a file. */
function writeAtomic(file: string, text: string, mode = 0o644): void {
  fs.writeFileSync(file + ".tmp", text, { mode });
  fs.renameSync(file + ".tmp", file);
}

/** `hostKeys` maps a host name to its "ssh-ed25519 AAAA…" public key */
export function writeOutputs(s: LabState, env: Environment, hostKeys: Record<string, string>): void {
  fs.mkdirSync(s.outDir, { recursive: true });
  writeAtomic(s.outputsFile, JSON.stringify({ inventory: { value: inventoryOf(s, env), type: "object", sensitive: false } }, null, 2) + "\n");
  const all: LabHost[] = [s.bastion, ...s.hosts];
  writeAtomic(s.knownHostsFile, `# multitier lab ${s.id}: host keys of its bastion and hosts\n` + all.map((h) => `${h === s.bastion ? `${h.address},${subnetAddresses(env.network.publicSubnets[0]).gateway}` : h.address} ${hostKeys[h.name]}`).join("\n") + "\n");
  const lines = [
    `# multitier lab ${s.id} (${s.labDir}): ssh -F ${s.sshConfigFile} -J ${s.user}@${s.bastion.address} ${s.user}@<host address>`,
    `# or by name: ssh -F ${s.sshConfigFile} <host name>. The jump connection reads this file too.`,
    `Host bastion`,
    `  HostName ${s.bastion.address}`,
    ...s.hosts.flatMap((h) => [`Host ${h.name}`, `  HostName ${h.address}`, `  ProxyJump bastion`]),
    `Host *`,
    `  User ${s.user}`,
    `  IdentityFile ${s.keyFile}`,
    `  IdentitiesOnly yes`,
    `  UserKnownHostsFile ${s.knownHostsFile}`,
    `  GlobalKnownHostsFile /dev/null`,
    `  StrictHostKeyChecking yes`,
    `  BatchMode yes`,
    `  ConnectTimeout 5`,
    `  ServerAliveInterval 15`,
    ``,
  ];
  writeAtomic(s.sshConfigFile, lines.join("\n"));
}

/** Remove the outputs only while they still describe this lab (another may have rewritten them). */
export function removeOutputs(s: LabState): void {
  try {
    const out = JSON.parse(fs.readFileSync(s.outputsFile, "utf8"));
    if (out?.inventory?.value?.bastion?.publicIp === s.bastion.address) fs.rmSync(s.outputsFile, { force: true });
  } catch {
    /* gone or not ours */
  }
  try {
    if (fs.readFileSync(s.knownHostsFile, "utf8").startsWith(`# multitier lab ${s.id}:`)) fs.rmSync(s.knownHostsFile, { force: true });
  } catch {
    /* gone */
  }
}
