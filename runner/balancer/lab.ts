/**
 * The lab's stand-in for the load balancer (the AWS one cannot run in the lab): an nginx on
 * the bastion whose upstream file lists the webapp hosts. Draining marks a host `down` in
 * that file and reloads nginx (a graceful reload: requests in flight finish, new ones go to
 * the others); restoring removes the mark. The file is edited over the run's own SSH
 * connection to the bastion (sudo; the new file on stdin, renamed into place, checked with
 * `nginx -t` — the old one back if that fails — then `nginx -s reload`). lab/balancer.ts sets
 * it up; test/lab/rolling.test.ts inspects it.
 */
import type { InventoryHost } from "../inventory";
import type { Balancer } from "./types";

export interface LabBalancerConfig {
  /** the upstream file nginx includes, e.g. /etc/multitier-lb/upstream.conf */
  upstreamFile: string;
  /** the stand-in nginx's main config (for `nginx -c … -s reload`) */
  nginxConf: string;
}

/** The upstream file for these servers ("10.213.0.5:443"); `down` ones marked down. */
export function renderUpstream(name: string, servers: string[], down: ReadonlySet<string> = new Set()): string {
  const lines = servers.map((s) => `    server ${s}${down.has(s.replace(/:\d+$/, "")) ? " down" : ""};`);
  return `# Managed by multitier (runner/balancer/lab.ts): the lab's stand-in for the target group\nupstream ${name} {\n${lines.join("\n")}\n}\n`;
}

/** The file with the servers at these addresses marked down (down=true) or not; other lines as they were. */
export function markServers(text: string, addresses: string[], down: boolean): string {
  return text.replace(/^(\s*server\s+)([^\s;]+)([^;]*);/gm, (line, head: string, server: string, rest: string) => {
    const addr = server.replace(/:\d+$/, "");
    if (!addresses.includes(addr)) return line;
    const flags = rest.split(/\s+/).filter((w) => w && w !== "down");
    return `${head}${server}${[...flags, ...(down ? ["down"] : [])].map((f) => ` ${f}`).join("")};`;
  });
}

/** Which addresses the file marks down. */
export function downServers(text: string): string[] {
  return [...text.matchAll(/^\s*server\s+([^\s;]+)[^;]*\bdown\b[^;]*;/gm)].map((m) => m[1].replace(/:\d+$/, ""));
}

/** Runs a command on the bastion (the run's SSH connection to it), `stdin` fed to it. */
export type BastionExec = (command: string, stdin?: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class LabBalancer implements Balancer {
  readonly name: string;
  constructor(private readonly cfg: LabBalancerConfig, private readonly exec: BastionExec) {
    this.name = `the lab's stand-in balancer (nginx upstream ${cfg.upstreamFile} on the bastion)`;
  }

  drain(hosts: InventoryHost[]): Promise<void> {
    return this.mark(hosts, true);
  }

  restore(hosts: InventoryHost[]): Promise<void> {
    return this.mark(hosts, false);
  }

  private async mark(hosts: InventoryHost[], down: boolean): Promise<void> {
    const f = this.cfg.upstreamFile;
    const read = await this.exec(`sudo -n cat ${q(f)}`);
    if (read.code !== 0) throw new Error(`${f} on the bastion: ${(read.stderr || read.stdout).trim().split("\n").pop() || `exit ${read.code}`}`);
    const missing = hosts.filter((h) => !new RegExp(`^\\s*server\\s+${h.privateIp.replace(/\./g, "\\.")}[:\\s;]`, "m").test(read.stdout));
    if (missing.length) throw new Error(`${missing.map((h) => h.name).join(", ")} not in ${f}`);
    const next = markServers(read.stdout, hosts.map((h) => h.privateIp), down);
    const c = q(this.cfg.nginxConf);
    const script = `cat > ${q(f + ".multitier-new")} && cp ${q(f)} ${q(f + ".multitier-old")} && mv ${q(f + ".multitier-new")} ${q(f)} && { nginx -q -t -c ${c} || { mv ${q(f + ".multitier-old")} ${q(f)}; exit 1; }; } && nginx -c ${c} -s reload`;
    const w = await this.exec(`sudo -n sh -c ${q(script)}`, next);
    if (w.code !== 0) throw new Error(`nginx on the bastion: ${(w.stderr || w.stdout).trim().split("\n").pop() || `exit ${w.code}`}`);
  }
}
