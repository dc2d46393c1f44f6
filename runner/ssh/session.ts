/**
 * SSH through the bastion, on node-ssh / ssh2:
 *  - ONE TCP connection to the bastion per run; every target is reached through
 *    `bastion.forwardOut(...)`, whose stream becomes the target connection's `sock`;
 *  - host keys verified for the bastion and every target against known_hosts;
 *  - keepalive on (a dead link is noticed within interval × countMax), connect timeout;
 *  - at most `maxChannels` channels open per host (OpenSSH's MaxSessions is 10);
 *  - the private key is read once into memory and given to ssh2; agent forwarding off.
 */
import * as fs from "fs";
import pLimit from "p-limit";
import { NodeSSH } from "node-ssh";
import type { ClientChannel, ConnectConfig } from "ssh2";
import { HostKeyError, KnownHosts } from "./known-hosts";

export class UnreachableError extends Error {
  constructor(readonly host: string, readonly address: string, reason: string) {
    super(`${host} (${address}) unreachable: ${reason}`);
    this.name = "UnreachableError";
  }
}

export interface Endpoint {
  name: string;
  address: string;
  port?: number;
  user: string;
}

export interface SshOptions {
  bastion: Endpoint;
  /** private key file; when absent, ssh-agent (SSH_AUTH_SOCK) */
  identityFile?: string;
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  maxChannels?: number;
  /** one-line notes for the operator (e.g. "recorded new host key of …") */
  notice?: (msg: string) => void;
}

export class SshSession {
  /** TCP connections opened to the bastion (the benchmark checks it stays 1) */
  static bastionConnections = 0;
  private readonly targets = new Map<string, Promise<TargetConnection>>();
  /** open target connections: all die with the bastion (one listener, not one per target) */
  private readonly live = new Set<TargetConnection>();
  private closed = false;
  private lostReason: string | undefined;

  private constructor(
    private readonly opts: SshOptions,
    private readonly bastion: NodeSSH,
    private readonly auth: Pick<ConnectConfig, "privateKey" | "agent">,
    private readonly knownHosts: KnownHosts,
  ) {
    const conn = bastion.connection!;
    const lost = (why: string) => {
      if (!this.closed) this.lostReason ??= why;
      for (const tc of this.live) tc.die("the connection to the bastion was lost");
    };
    conn.on("close", () => lost("the connection to the bastion was lost"));
    conn.on("error", (e: Error) => lost(`bastion: ${e.message}`));
  }

  static async open(opts: SshOptions): Promise<SshSession> {
    const auth = loadAuth(opts.identityFile);
    const knownHosts = new KnownHosts(opts.knownHostsFile);
    const ssh = new NodeSSH();
    SshSession.bastionConnections++;
    await connect(ssh, opts.bastion, { ...auth, ...common(opts) }, knownHosts, opts);
    return new SshSession(opts, ssh, auth, knownHosts);
  }

  /** A connection to `target` through the bastion (cached: one per host per run). */
  target(target: Endpoint): Promise<TargetConnection> {
    let t = this.targets.get(target.name);
    if (!t) {
      t = this.openTarget(target);
      this.targets.set(target.name, t);
      t.catch(() => this.targets.delete(target.name));
    }
    return t;
  }

  private async openTarget(target: Endpoint): Promise<TargetConnection> {
    const port = target.port ?? 22;
    if (this.lostReason || this.closed) throw new UnreachableError(target.name, target.address, this.lostReason ?? "session closed");
    const stream = await new Promise<ClientChannel>((resolve, reject) => {
      const timer = setTimeout(() => reject(new UnreachableError(target.name, target.address, `no answer through the bastion within ${this.timeout() / 1000}s`)), this.timeout());
      this.bastion.connection!.forwardOut("127.0.0.1", 0, target.address, port, (err, ch) => {
        clearTimeout(timer);
        if (err) reject(new UnreachableError(target.name, target.address, `the bastion could not reach it (${err.message})`));
        else resolve(ch);
      });
    });
    const ssh = new NodeSSH();
    await connect(ssh, target, { ...this.auth, ...common(this.opts), sock: stream }, this.knownHosts, this.opts);
    const tc = new TargetConnection(target, ssh, this.opts.maxChannels ?? 8);
    // ssh2 does not always notice that a forwarded socket went away (target sshd killed,
    // link cut): watch the stream and the bastion too, so nothing waits for a dead host
    // the bastion's sshd only half-closes a forwarded channel when the target's side goes
    // away (EOF, then CLOSE-WAIT until we close too): an SSH transport never half-closes, so
    // EOF on it already means the host is gone
    stream.on("end", () => tc.die(`the connection to ${target.name} closed`));
    stream.on("close", () => tc.die(`the connection to ${target.name} closed`));
    ssh.connection?.on("close", () => tc.die(`the connection to ${target.name} closed`));
    ssh.connection?.on("error", (e: Error) => tc.die(e.message));
    this.live.add(tc);
    tc.onDeath(() => this.live.delete(tc));
    return tc;
  }

  /** A TCP stream from the bastion to address:port (a health check as the load balancer would see the host). */
  forwardFromBastion(address: string, port: number): Promise<ClientChannel> {
    if (this.lostReason || this.closed) return Promise.reject(new Error(`bastion: ${this.lostReason ?? "session closed"}`));
    return new Promise((resolve, reject) =>
      this.bastion.connection!.forwardOut("127.0.0.1", 0, address, port, (err, ch) => (err ? reject(new Error(`${address}:${port} through the bastion: ${err.message}`)) : resolve(ch))),
    );
  }

  /** Run a command on the bastion itself (stdin optional): the lab's stand-in balancer. */
  async execOnBastion(command: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    if (this.lostReason || this.closed) throw new Error(`bastion: ${this.lostReason ?? "session closed"}`);
    const r = await this.bastion.execCommand(command, { stdin, noTrim: true } as any);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  private timeout(): number {
    return this.opts.connectTimeoutMs ?? 10_000;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.targets.values()) (await t.catch(() => undefined))?.close();
    this.bastion.dispose();
  }
}

export class TargetConnection {
  private readonly limit: ReturnType<typeof pLimit>;
  private deathReason: string | undefined;
  private readonly onDeathCallbacks: ((reason: string) => void)[] = [];
  constructor(readonly endpoint: Endpoint, private readonly ssh: NodeSSH, maxChannels: number) {
    this.limit = pLimit(maxChannels);
  }

  /** Called once when the connection is gone, whoever noticed first. */
  onDeath(cb: (reason: string) => void): void {
    if (this.deathReason) cb(this.deathReason);
    else this.onDeathCallbacks.push(cb);
  }

  die(reason: string): void {
    if (this.deathReason) return;
    this.deathReason = reason;
    for (const cb of this.onDeathCallbacks) cb(reason);
    try {
      this.ssh.dispose();
    } catch {
      /* already closed */
    }
  }

  /**
   * Open an exec channel and keep it (the agent lives on it). The channel counts against the
   * per-host limit until it closes.
   */
  exec(command: string): Promise<ClientChannel> {
    return new Promise((resolveOuter, rejectOuter) => {
      this.limit(
        () =>
          new Promise<void>((release) => {
            const conn = this.ssh.connection;
            if (!conn) {
              release();
              rejectOuter(new UnreachableError(this.endpoint.name, this.endpoint.address, "connection closed"));
              return;
            }
            conn.exec(command, (err, channel) => {
              if (err) {
                release();
                rejectOuter(new UnreachableError(this.endpoint.name, this.endpoint.address, `could not open a channel (${err.message})`));
                return;
              }
              channel.on("close", () => release());
              resolveOuter(channel);
            });
          }),
      ).catch(rejectOuter);
    });
  }

  /** A TCP stream from this host to `host:port` as seen from it (for SSH tunnels). */
  forward(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const conn = this.ssh.connection;
      if (!conn) return reject(new UnreachableError(this.endpoint.name, this.endpoint.address, "connection closed"));
      conn.forwardOut("127.0.0.1", 0, host, port, (err, ch) => (err ? reject(new Error(`${this.endpoint.name}: cannot reach ${host}:${port} (${err.message})`)) : resolve(ch)));
    });
  }

  /** Run a command to completion (stdin optional); for simple uses and tests. */
  async run(command: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const r = await this.limit(() => this.ssh.execCommand(command, { stdin, noTrim: true } as any));
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  close(): void {
    this.ssh.dispose();
  }
}

function common(o: SshOptions): ConnectConfig {
  return {
    readyTimeout: o.connectTimeoutMs ?? 10_000,
    keepaliveInterval: o.keepaliveIntervalMs ?? 5_000,
    keepaliveCountMax: o.keepaliveCountMax ?? 3,
    agentForward: false,
  };
}

function loadAuth(identityFile?: string): Pick<ConnectConfig, "privateKey" | "agent"> {
  if (identityFile) {
    try {
      return { privateKey: fs.readFileSync(identityFile, "utf8") }; // node-ssh takes key text
    } catch (e) {
      throw new Error(`cannot read the private key ${identityFile} (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  if (process.env.SSH_AUTH_SOCK) return { agent: process.env.SSH_AUTH_SOCK };
  throw new Error("no private key: pass --identity <file> or start ssh-agent (SSH_AUTH_SOCK)");
}

async function connect(ssh: NodeSSH, ep: Endpoint, cfg: ConnectConfig, known: KnownHosts, opts: SshOptions): Promise<void> {
  let keyProblem: HostKeyError | undefined;
  const port = ep.port ?? 22;
  // bench/startup.sh: how long the process took to reach its first connection attempt
  if (process.env.MULTITIER_TRACE_START === "1") {
    const cpu = process.cpuUsage();
    process.stderr.write(`start-up trace: connecting to ${ep.name} at ${Math.round(performance.now())} ms since the process started (cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms)\n`);
  }
  try {
    await ssh.connect({
      ...cfg,
      host: ep.address,
      port,
      username: ep.user,
      hostVerifier: (key: Buffer) => {
        try {
          if (known.verify(ep.name, ep.address, port, key, opts.acceptNewHostKeys) === "recorded")
            opts.notice?.(`recorded the host key of ${ep.name} (${ep.address}) in ${known.file}`);
          return true;
        } catch (e) {
          keyProblem = e as HostKeyError;
          return false;
        }
      },
    } as any);
  } catch (e) {
    if (keyProblem) throw keyProblem;
    const msg = (e as Error).message;
    const reason = /authentication methods failed/i.test(msg)
      ? `authentication failed for user ${ep.user} (check the key)`
      : /Timed out/i.test(msg)
        ? "connection timed out"
        : /ECONNREFUSED/.test(msg)
          ? "connection refused (is sshd running?)"
          : msg;
    throw new UnreachableError(ep.name, ep.address, reason);
  }
}
