/**
 * What a lab made, recorded on disk so that `labDown` can remove it from any process
 * (`make lab-down` in a fresh shell, a test's afterAll, a crashed run's cleanup).
 *
 *   <labDir>/state.json                 this file (written before anything is created)
 *   /run/multitier-lab/<id>.json        { labDir }: finds a lab by id when its dir is unknown
 *
 * Where the lab dir is (resolveLabDir):
 *   labUp({ id: "lab" })                      → <repo>/.lab/lab       (outputs in hosts/)
 *   labUp({ id: "t1", dir: "/tmp/x" })        → /tmp/x/.lab/t1        (outputs in /tmp/x)
 *   labDown({ id: "t1" })                     → the registered dir, else <repo>/.lab/t1
 */
import * as fs from "fs";
import * as path from "path";

/** the project root (lab/..), whatever the caller's working directory */
export const REPO = path.resolve(__dirname, "..");
/** machine-wide: the registry of labs that are up, and the lock around shared resources */
export const RUN_DIR = "/run/multitier-lab";

export interface LabVolume {
  name: string;
  /** /dev/loopN on the machine */
  loop: string;
  /** the sparse image behind it (its name carries the lab id) */
  image: string;
  /** fake EBS volume id, vol-<17 hex> */
  volumeId: string;
  /** file name under /dev/disk/by-id inside the host (Nitro naming) */
  byId: string;
  sizeMb: number;
}

export interface LabHost {
  name: string;
  tier: string;
  /** network namespace, mt<id>-<name> */
  ns: string;
  /** per-host directory: overlay upper/work, root mount point, holder.pid, logs */
  dir: string;
  /** the address the runner dials (the bastion's: its controller-link address) */
  address: string;
  subnet: "public" | "private" | "controller";
  volumes: LabVolume[];
  /** systemd: a Debian root booted by systemd-nspawn; overlay (the bastion, LAB_KIND=overlay): a chrooted sshd over this machine's / */
  kind?: "systemd" | "overlay";
}

export interface LabLink {
  /** controller-side interface in the root namespace, m<id>r */
  rootIf: string;
  /** e.g. 10.214.37.0/30: distinct per running lab */
  cidr: string;
  controllerIp: string;
  bastionIp: string;
}

export interface LabState {
  id: string;
  labDir: string;
  outDir: string;
  envName: string;
  envFile: string;
  user: string;
  hostsPerTier: number;
  /** the kind of its tier hosts */
  kind?: "systemd" | "overlay";
  /** the apt proxy the hosts use (systemd hosts), from the environment's vars.aptProxy */
  aptProxy?: string;
  link?: LabLink;
  bastion: LabHost;
  hosts: LabHost[];
  keyFile: string;
  outputsFile: string;
  knownHostsFile: string;
  sshConfigFile: string;
}

export const LAB_ID = /^[a-z0-9]{1,4}$/;
export const nsPrefix = (id: string) => `mt${id}-`;

/** Where a lab's state lives; see the module comment. `forDown` also consults the registry. */
export function resolveLabDir(o: { id: string; dir?: string; labDir?: string }, forDown = false): string {
  if (o.labDir) return path.resolve(o.labDir);
  if (o.dir) return path.join(path.resolve(o.dir), ".lab", o.id);
  if (forDown) {
    const registered = registeredLabDir(o.id);
    if (registered) return registered;
  }
  return path.join(REPO, ".lab", o.id);
}

export function readState(id: string, labDir = resolveLabDir({ id }, true)): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(labDir, "state.json"), "utf8")) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(s: LabState): void {
  const file = path.join(s.labDir, "state.json");
  fs.writeFileSync(file + ".tmp", JSON.stringify(s, null, 2) + "\n");
  fs.renameSync(file + ".tmp", file);
}

const registryFile = (id: string) => path.join(RUN_DIR, `${id}.json`);

export function registeredLabDir(id: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(registryFile(id), "utf8")) as { labDir: string }).labDir;
  } catch {
    return undefined;
  }
}

export function register(id: string, labDir: string): void {
  fs.mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
  fs.writeFileSync(registryFile(id), JSON.stringify({ labDir }) + "\n");
}

export function unregister(id: string, labDir: string): void {
  if (registeredLabDir(id) === labDir) fs.rmSync(registryFile(id), { force: true });
}

/** ids of the labs registered on this machine (for `lab/cli.ts status`) */
export function registeredIds(): string[] {
  try {
    return fs
      .readdirSync(RUN_DIR)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}
