/**
 * Bring a lab up for one test file and point the runner at it: a temp directory holds the
 * environment file (a copy of hosts/lab.yaml), the outputs, known_hosts; the lab's key goes
 * to MULTITIER_IDENTITY. `down()` removes everything (call it in afterAll). Hosts are systemd
 * hosts (a Debian root booted by systemd-nspawn) unless `kind: "overlay"` is asked for.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startChild } from "../../lab/child";
import { withoutMonitoring } from "../../lab/env-copy";
import { enterArgs, labDown, labUp, rebootHost, type HostKind, type LabHost, type LabState } from "../../lab/lab";

export const ROOT = path.join(__dirname, "..", "..");
export const isRoot = process.getuid?.() === 0 && process.platform === "linux";

export interface Lab {
  state: LabState;
  dir: string;
  env: NodeJS.ProcessEnv;
  host(name: string): LabHost;
  /** run a shell script inside a lab host (as root, outside SSH) */
  sh(host: string, script: string): string;
  /** `systemctl reboot` in a systemd host; resolves when its sshd listens again */
  reboot(host: string): Promise<void>;
  /** sha256 of every file below `dir` on `host`: "path hash" lines */
  checksums(host: string, dir: string): string;
  /** the real CLI */
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  down(): Promise<void>;
}

export interface LabOpts {
  hostsPerTier?: number;
  playbooks?: string;
  templates?: string;
  /** change the copy of hosts/lab.yaml this lab uses */
  editEnv?: (yaml: string) => string;
  /** systemd (default) or overlay hosts */
  kind?: HostKind;
  /** keep hosts/lab.yaml's monitoring tier and section (default: left out, one host less) */
  monitoring?: boolean;
}

export async function startLab(id: string, opts: LabOpts = {}): Promise<Lab> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mt-lab-${id}-`));
  const labYaml = fs.readFileSync(path.join(ROOT, "hosts", "lab.yaml"), "utf8");
  const envText = opts.monitoring ? labYaml : withoutMonitoring(labYaml);
  fs.writeFileSync(path.join(dir, "lab.yaml"), opts.editEnv ? opts.editEnv(envText) : envText);
  let state: LabState;
  try {
    state = await labUp({ id, hostsPerTier: opts.hostsPerTier ?? 1, outDir: dir, envFile: path.join(dir, "lab.yaml"), labDir: path.join(dir, "lab"), kind: opts.kind ?? "systemd" });
  } catch (e) {
    await labDown({ id, labDir: path.join(dir, "lab") }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MULTITIER_HOSTS_DIR: dir,
    MULTITIER_IDENTITY: state.keyFile,
    MULTITIER_PLAYBOOKS_DIR: opts.playbooks ?? path.join(ROOT, "test", "lab", "fixtures", "playbooks"),
    MULTITIER_TEMPLATES_DIR: opts.templates ?? path.join(ROOT, "test", "lab", "fixtures", "templates"),
    NO_COLOR: "1",
  };
  const host = (name: string) => {
    const h = name === "bastion" ? state.bastion : state.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  };
  const sh = (name: string, script: string) => {
    const [cmd, ...args] = enterArgs(host(name));
    return execFileSync(cmd, [...args, "/bin/sh", "-c", script], { encoding: "utf8" });
  };
  return {
    state,
    dir,
    env,
    host,
    sh,
    reboot: (name) => rebootHost(host(name)),
    checksums: (name, d) => sh(name, `find ${d} -type f -exec sha256sum {} + 2>/dev/null | sort -k2`),
    cli: async (args, extraEnv = {}, stdin) => {
      const { code, stdout, stderr } = await startChild(path.join(ROOT, "bin", "multitier.js"), args, { cwd: ROOT, env: { ...env, ...extraEnv }, input: stdin ?? "" }).done;
      return { code, stdout, stderr };
    },
    down: async () => {
      await labDown({ id, labDir: path.join(dir, "lab") });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The recap line of a host from human output: [ok, changed, failed, unreachable, skipped] */
export function recapOf(stdout: string, host: string): number[] | undefined {
  const line = stdout.split("\n").find((l) => l.startsWith(host + " ") && /^\S+\s+(\d+\s+){4}\d+$/.test(l.trim()));
  return line?.trim().split(/\s+/).slice(1).map(Number);
}

/** A throwaway self-signed certificate and key (the vault's `tls`), valid for `days`. */
export function selfSignedTls(days: number): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tls-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(days), "-subj", "/CN=lab", "-keyout", `${dir}/k`, "-out", `${dir}/c`], { stdio: "ignore" });
    return { cert: fs.readFileSync(`${dir}/c`, "utf8"), key: fs.readFileSync(`${dir}/k`, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
