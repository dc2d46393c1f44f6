/**
 * The lab's stand-in for the load balancer (the AWS one cannot run in the lab): an nginx on
 * the bastion whose upstream file lists the webapp hosts. Draining marks a host `down` in
 * that file and reloads nginx (a graceful reload: requests in flight finish, new ones go to
 * the others); restoring removes the mark. The file is edited through an agent on the bastion
 * (an atomic write, then `nginx -s reload`), as any host's file. lab/balancer.ts sets it up;
 * test/lab/rolling.test.ts inspects it.
 */
import type { AgentClient } from "../agent/client";
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

export class LabBalancer implements Balancer {
  readonly name: string;
  constructor(private readonly cfg: LabBalancerConfig, private readonly bastion: () => Promise<AgentClient>) {
    this.name = `the lab's stand-in balancer (nginx upstream ${cfg.upstreamFile} on the bastion)`;
  }

  drain(hosts: InventoryHost[]): Promise<void> {
    return this.mark(hosts, true);
  }

  restore(hosts: InventoryHost[]): Promise<void> {
    return this.mark(hosts, false);
  }

  private async mark(hosts: InventoryHost[], down: boolean): Promise<void> {
    const agent = await this.bastion();
    const [st] = await agent.call([{ op: "stat", path: this.cfg.upstreamFile, content: true }]);
    if (!st.ok || !("exists" in st) || !st.exists || !("content" in st)) throw new Error(`${this.cfg.upstreamFile} on the bastion: ${st.ok ? "missing" : st.error}`);
    const text = Buffer.from(st.content ?? "", "base64").toString("utf8");
    const next = markServers(text, hosts.map((h) => h.privateIp), down);
    const missing = hosts.filter((h) => !new RegExp(`^\\s*server\\s+${h.privateIp.replace(/\./g, "\\.")}[:\\s;]`, "m").test(text));
    if (missing.length) throw new Error(`${missing.map((h) => h.name).join(", ")} not in ${this.cfg.upstreamFile}`);
    const res = await agent.call([
      { op: "write", path: this.cfg.upstreamFile, content: Buffer.from(next).toString("base64"), mode: "0644" },
      { op: "sh", script: `nginx -q -t -c '${this.cfg.nginxConf}' && nginx -c '${this.cfg.nginxConf}' -s reload` },
    ]);
    for (const r of res) {
      if (!r.ok) throw new Error(r.error);
      if ("rc" in r && r.rc !== 0) throw new Error(`nginx reload failed: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
    }
  }
}
