/**
 * The lab: real SSH hosts on this machine standing in for an environment's bastion and tier
 * instances, so the runner is tested against real OpenSSH servers.
 *
 *   const lab = await labUp({ id: "t1", hostsPerTier: 1, dir: "/tmp/x" });   // env "lab" by default
 *   //  lab.outputsFile, lab.knownHostsFile, lab.sshConfigFile, lab.keyFile, lab.bastion.address …
 *   await labDown({ id: "t1", dir: "/tmp/x" });     // also from another process; twice is fine
 *
 * Options: `id` ([a-z0-9]{1,4}, part of every namespace/interface/image name, so labs with
 * different ids run at once); `hostsPerTier` (default 1); `env` (an environment name under
 * hosts/, or a .yaml path; default "lab"; it must say `platform: lab` and keep its subnets
 * inside 10.213.0.0/16); `dir` (where the outputs go, with the lab's own files in
 * <dir>/.lab/<id>; default: outputs beside the environment file, lab files in <repo>/.lab/<id>).
 * `outDir`, `envFile`, `labDir` set those paths one by one.
 *
 * Each host is a network namespace (network.ts) with its volumes' loop devices at the Nitro
 * by-id path (volumes.ts). `kind` (default "systemd"; LAB_KIND=overlay for the CLI) says what
 * runs in it:
 *   systemd  a minimal Debian root (cached per machine) booted with systemd as PID 1 by
 *            systemd-nspawn, Debian's sshd, packages installed by the playbooks through the
 *            apt proxy the environment names (nspawn.ts, nspawn-up.sh, aptproxy.ts);
 *   overlay  a private mount + UTS namespace with an overlay root over this machine's /, a
 *            private /dev and a real sshd chrooted into it (host-up.sh). The bastion is always so.
 * `labDown` removes every namespace, process, container, mount, loop device, route and file
 * the lab made (state.ts records them before they are made).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pLimit from "p-limit";
import { hostName, type Environment } from "../config/environment";
import { environmentFile, hostsDir, loadEnvironmentFile } from "../config/load";
import { ipBatchAsync, run, sh, shQuiet } from "./exec";
import { checkLabNetwork, createBastionLink, hostNetCommands, labsUp, plugHosts, routeLikeTheVpc, subnetAddresses, unguardIfLast, wireBastion } from "./network";
import { removeOutputs, writeOutputs } from "./outputs";
import { killLabProcesses, waitListening } from "./processes";
import { LAB_ID, nsPrefix, readState, register, registeredLabDir, REPO, resolveLabDir, unregister, writeState, type LabHost, type LabState } from "./state";
import { attachVolume, detachVolumes } from "./volumes";
import { aptProxyOf, ensureAptProxy, stopAptProxyIfLast } from "./aptproxy";
import { defaultKind, labRoot, removeNspawnLeftovers, requireNspawn, waitBooted, type HostKind } from "./nspawn";

export type { LabHost, LabLink, LabState, LabVolume } from "./state";
export type { HostKind } from "./nspawn";
export { enterArgs, rebootHost, hostInit } from "./nspawn";
export { APT_PROXY_LOG } from "./aptproxy";
export { readState } from "./state";
export { LOOP_CAP_MB } from "./volumes";

export interface LabOptions {
  id: string;
  hostsPerTier?: number;
  /** outputs here, lab files in <dir>/.lab/<id> */
  dir?: string;
  /** environment name (hosts/<env>.yaml) or path of a .yaml file; default "lab" */
  env?: string;
  outDir?: string;
  envFile?: string;
  labDir?: string;
  /** tier hosts: "systemd" (default; LAB_KIND=overlay changes the default) or "overlay" */
  kind?: HostKind;
  /** progress lines (the first build of the Debian root takes minutes); default: stderr */
  progress?: (line: string) => void;
}

export const MAX_HOSTS_PER_TIER = 60;

/** LAB_TRACE=1: phase timings on stderr (bench/lab/run.sh uses them) */
const t0 = { at: Date.now() };
function trace(what: string): void {
  if (process.env.LAB_TRACE) process.stderr.write(`lab-trace ${((Date.now() - t0.at) / 1000).toFixed(2)}s ${what}\n`);
}

/** Where the lab needs to run; one line that says what is missing. */
export function requireRoot(): void {
  if (process.platform !== "linux") throw new Error(`the lab needs Linux (network namespaces, overlayfs, loop devices); this is ${process.platform}`);
  if (process.getuid?.() !== 0) throw new Error("the lab needs root (network namespaces, mounts, loop devices): run it as root, e.g. sudo make lab-up");
}

function envFileOf(env?: string): string {
  if (env && (env.includes("/") || /\.ya?ml$/.test(env))) return path.resolve(env);
  return path.resolve(environmentFile(env ?? "lab", hostsDir()));
}

/** paths a host must not see: the checkout, and the lab's own files when they live elsewhere */
function hiddenPaths(s: LabState): string[] {
  const under = (p: string, dir: string) => p === dir || p.startsWith(dir + "/");
  const out: string[] = [];
  for (const p of [REPO, s.labDir, s.outDir])
    if (!under(p, "/tmp") && !out.some((o) => under(p, o)) && !/\s/.test(p)) out.push(p);
  return out;
}

export async function labUp(opts: LabOptions): Promise<LabState> {
  requireRoot();
  t0.at = Date.now();
  if (!LAB_ID.test(opts.id)) throw new Error(`lab id: expected 1-4 lower-case letters or digits, got "${opts.id}"`);
  const per = opts.hostsPerTier ?? 1;
  if (!Number.isInteger(per) || per < 1 || per > MAX_HOSTS_PER_TIER) throw new Error(`hosts per tier: expected 1-${MAX_HOSTS_PER_TIER}, got ${per}`);
  const envFile = opts.envFile ? path.resolve(opts.envFile) : envFileOf(opts.env);
  const env: Environment = loadEnvironmentFile(envFile);
  checkLabNetwork(env);
  const kind = opts.kind ?? defaultKind();
  const proxy = kind === "systemd" ? aptProxyOf(env) : undefined;
  if (kind === "systemd") {
    requireNspawn();
    if (!proxy) throw new Error(`lab: ${envFile} vars.aptProxy: expected the apt proxy of systemd hosts (e.g. http://10.214.255.254:3142): they install every package`);
  }
  const labDir = resolveLabDir(opts);
  const outDir = path.resolve(opts.outDir ?? opts.dir ?? path.dirname(envFile));

  // the same id may not be up twice: a stale lab of ours is replaced, someone else's is refused
  if (readState(opts.id, labDir)) await labDown({ id: opts.id, labDir });
  const other = registeredLabDir(opts.id);
  if (labsUp().includes(`${nsPrefix(opts.id)}bastion`))
    throw new Error(`lab ${opts.id} is already up${other ? ` (its files: ${other})` : ""}: take it down first (LAB_ID=${opts.id} make lab-down) or use another id`);

  fs.mkdirSync(labDir, { recursive: true, mode: 0o700 });
  const ns = (host: string) => `${nsPrefix(opts.id)}${host}`;
  const pub = env.network.publicSubnets[0];
  const priv = env.network.privateSubnets[0];
  const counters = { public: 0, private: 0 };
  const hosts: LabHost[] = [];
  for (const [tier, t] of Object.entries(env.tiers))
    for (let i = 0; i < per; i++) {
      const name = hostName(tier, i);
      const address = subnetAddresses(t.subnet === "public" ? pub : priv).host(counters[t.subnet]++);
      hosts.push({ name, tier, ns: ns(name), dir: path.join(labDir, name), address, subnet: t.subnet, volumes: [], kind });
    }
  const state: LabState = {
    id: opts.id,
    labDir,
    outDir,
    envName: env.name,
    envFile,
    user: env.sshUser,
    hostsPerTier: per,
    kind,
    aptProxy: proxy?.url,
    bastion: { name: "bastion", tier: "bastion", ns: ns("bastion"), dir: path.join(labDir, "bastion"), address: "", subnet: "controller", volumes: [], kind: "overlay" },
    hosts,
    keyFile: path.join(labDir, "id_ed25519"),
    outputsFile: path.join(outDir, `${env.name}.outputs.json`),
    knownHostsFile: path.join(outDir, `${env.name}.known_hosts`),
    sshConfigFile: path.join(labDir, "ssh_config"),
  };
  // recorded before anything is made: whatever fails from here on, labDown finds it
  writeState(state);
  register(opts.id, labDir);
  try {
    // the operator's key pair for this lab (the private key stays in the lab dir, 0600)
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `multitier-lab-${opts.id}`, "-f", state.keyFile]);
    const pubkey = fs.readFileSync(`${state.keyFile}.pub`, "utf8").trim();
    // the Debian root (a build on first use), while the network is made
    const lower = kind === "systemd" ? labRoot(labDir, opts.progress) : Promise.resolve("");
    lower.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile

    const link = createBastionLink(opts.id, state.bastion.ns, (l) => {
      state.link = l;
      state.bastion.address = l.bastionIp;
      writeState(state);
    });
    wireBastion(opts.id, state.bastion.ns, link, pub, priv);
    if (proxy) ensureAptProxy(proxy);
    const monitors = env.monitoring?.enabled ? hosts.filter((h) => h.tier === env.monitoring!.tier).map((h) => h.address) : [];
    routeLikeTheVpc(state.bastion.ns, env, proxy, link, monitors);
    plugHosts(opts.id, state.bastion.ns, hosts);
    trace("network");

    const hide = hiddenPaths(state).join(" ");
    const hostKeys: Record<string, string> = {};
    // every host at once, bounded: mostly short processes (ip, losetup, useradd, ssh-keygen)
    const limit = pLimit(Math.max(4, os.cpus().length * 4));
    // allSettled: on a failure, every host's setup must have stopped before labDown runs
    const settled = await Promise.allSettled(
      [state.bastion, ...hosts].map((h) =>
        limit(async () => {
          fs.mkdirSync(h.dir, { recursive: true });
          if (h !== state.bastion) {
            await ipBatchAsync(hostNetCommands(h, h.subnet === "public" ? pub : priv), h.ns);
            for (const v of env.tiers[h.tier].volumes)
              await attachVolume(opts.id, h.name, h.dir, v, (lv) => {
                h.volumes.push(lv);
                writeState(state);
              });
          }
          if (h.kind === "systemd") {
            const out = await run("bash", [path.join(__dirname, "nspawn-up.sh")], {
              env: {
                ...process.env,
                NS: h.ns,
                DIR: h.dir,
                LOWER: await lower,
                MACHINE: h.ns,
                HOSTNAME_: h.name,
                ADDR: h.address,
                USER_: state.user,
                PUBKEY: pubkey,
                LOOPS: h.volumes.map((v) => `${v.loop}:${v.byId}`).join(" "),
              },
            });
            hostKeys[h.name] = fs.readFileSync(path.join(h.dir, "host_ed25519_key.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
            trace(`${h.name} container ${out.trim()}`);
            await waitBooted(h);
            return;
          }
          const holder = Number(
            (
              await run("bash", [path.join(__dirname, "host-up.sh")], {
                env: {
                  ...process.env,
                  NS: h.ns,
                  DIR: h.dir,
                  HOSTNAME_: h.name,
                  ADDR: h.address,
                  // the bastion also answers on its leg in the public subnet (its private IP in
                  // the VPC, where the runner reaches it as a target, e.g. for its exporter)
                  EXTRA_ADDRS: h === state.bastion ? subnetAddresses(pub).gateway : "",
                  USER_: state.user,
                  PUBKEY: pubkey,
                  LOOPS: h.volumes.map((v) => `${v.loop}:${v.byId}`).join(" "),
                  HIDE: hide,
                },
              })
            ).trim(),
          );
          hostKeys[h.name] = fs.readFileSync(path.join(h.dir, "host_ed25519_key.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
          trace(`${h.name} host-up`);
          await waitListening(holder, 22, `${h.name}'s sshd (see ${h.dir}/root/var/log/lab-sshd.log inside the host)`);
        }),
      ),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    trace("every sshd listens");
    writeState(state);
    writeOutputs(state, env, hostKeys);
    return state;
  } catch (e) {
    await labDown({ id: opts.id, labDir }).catch(() => undefined);
    throw e;
  }
}

/**
 * Remove everything a lab made: its processes (every process in its namespaces: sshd,
 * sessions, daemons a playbook started, the holders, and with them the mounts that lived in
 * their mount namespaces), the namespaces, the controller link, the loop devices, the guard
 * routes when it was the last lab, its files and its outputs. Safe to call twice, for a lab
 * that half came up, and from a process that did not bring it up.
 */
export async function labDown(opts: { id: string; dir?: string; labDir?: string }): Promise<{ removed: boolean }> {
  requireRoot();
  if (!LAB_ID.test(opts.id)) throw new Error(`lab id: expected 1-4 lower-case letters or digits, got "${opts.id}"`);
  t0.at = Date.now();
  const labDir = resolveLabDir(opts, true);
  const state = readState(opts.id, labDir);
  const prefix = nsPrefix(opts.id);
  const namespaces = sh("ip", ["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
  const removed = !!state || namespaces.length > 0 || fs.existsSync(labDir);

  await killLabProcesses(namespaces, labDir);
  removeNspawnLeftovers(opts.id);
  trace("down: processes");
  if (namespaces.length) shQuiet("ip", ["-force", "-batch", "-"], namespaces.map((n) => `netns del ${n}`).join("\n") + "\n");
  shQuiet("ip", ["link", "del", state?.link?.rootIf ?? `m${opts.id}r`]); // normally gone with its peer
  trace("down: namespaces");
  await detachVolumes(opts.id, labDir, (state?.hosts ?? []).flatMap((h) => h.volumes.map((v) => v.loop)));
  trace("down: loop devices");
  // mounts seen from here (the namespaces' bind mounts; anything a tool left under the lab dir)
  for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").reverse()) {
    const mp = line.split(" ")[4];
    if (mp && (mp.startsWith(labDir + "/") || mp.startsWith(`/run/netns/${prefix}`))) shQuiet("umount", ["-l", mp]);
  }
  unguardIfLast();
  stopAptProxyIfLast(labsUp);
  if (state) removeOutputs(state);
  fs.rmSync(labDir, { recursive: true, force: true });
  if (path.basename(path.dirname(labDir)) === ".lab")
    try {
      fs.rmdirSync(path.dirname(labDir)); // .lab/ itself, when no other lab is in it
    } catch {
      /* not empty, or gone */
    }
  unregister(opts.id, labDir);
  trace("down: files");
  return { removed };
}
