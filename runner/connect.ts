/**
 * How the runner reaches hosts. `defaultDeps()` is what the CLI uses: SSH through the
 * bastion (runner/ssh) and the environment's vault (runner/secrets). `LocalConnector`
 * runs the agent as a local process — the unit tests of the executor use it.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { ClientChannel } from "ssh2";
import type { Environment } from "../config/environment";
import { InputError } from "../config/errors";
import { SshSession } from "./ssh";
import { Masker } from "./secrets/mask";
import { readVault } from "./secrets/vault";
import { AgentChannel, localChannel } from "./agent/client";
import type { Connector, SecretFilter } from "./executor";
import type { Inventory, InventoryHost } from "./inventory";
import type { RunDeps, RunRequest } from "./run";

/**
 * Every "host" is this machine, so each has its own lock file: under `lockDir` when given
 * (runs that are to see each other's locks share it), else under a temp dir of this
 * connector's own, removed at close.
 */
export class LocalConnector implements Connector {
  private ownDir?: string;
  constructor(private readonly opts: { lockDir?: string } = {}) {}
  async open(_host: InventoryHost, command: string): Promise<AgentChannel> {
    return localChannel(command.startsWith("sudo ") && process.getuid?.() !== 0);
  }
  lockFile(host: InventoryHost): string {
    const dir = this.opts.lockDir ?? (this.ownDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "mt-locks-")));
    return path.join(dir, `${host.name}.lock`);
  }
  /** every "host" is this machine: a stream to a loopback port (health gates from the controller) */
  dial(address: string, port: number): Promise<net.Socket> {
    if (!/^127\./.test(address) && address !== "::1") return Promise.reject(new Error(`${address}:${port}: local hosts are reached on loopback addresses only`));
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: address, port });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
  }
  close(): void {
    if (this.ownDir) fs.rmSync(this.ownDir, { recursive: true, force: true });
  }
}

/** A filter for runs without a vault: nothing is secret. */
export { NO_SECRETS } from "./agent/client";

export function defaultDeps(): RunDeps {
  return {
    connector: (inv: Inventory, req: RunRequest, secrets: SecretFilter) => sshConnector(inv, req, secrets),
    secrets: (env: Environment) => loadSecrets(env),
  };
}

/**
 * Which private key: --identity, $MULTITIER_IDENTITY, the lab's key, ssh-agent, ~/.ssh/id_*.
 * Checked here, before any connection: a key file that cannot be read, an SSH_AUTH_SOCK that
 * names no socket, or no key at all is bad input (one line, exit 1, nothing attempted) — not
 * every host UNREACHABLE. Returns undefined when ssh-agent is to be used.
 */
export function identityFor(inv: Inventory, req: Pick<RunRequest, "identity">): string | undefined {
  const given = req.identity ?? process.env.MULTITIER_IDENTITY;
  if (given) return readableKey(given, req.identity ? "-i" : "MULTITIER_IDENTITY");
  const labKey = (inv.env.lab as { identityFile?: string } | undefined)?.identityFile;
  if (inv.env.platform === "lab" && labKey && fs.existsSync(labKey)) return readableKey(labKey, "lab.identityFile");
  const sock = process.env.SSH_AUTH_SOCK;
  if (sock) {
    if (!fs.existsSync(sock)) throw new InputError("argument", 0, 0, "-i", `no private key: SSH_AUTH_SOCK names ${sock}, which does not exist (start ssh-agent, or give -i <key file>)`);
    return undefined;
  }
  const found = ["id_ed25519", "id_rsa"].map((f) => path.join(os.homedir(), ".ssh", f)).find((f) => fs.existsSync(f));
  if (!found) throw new InputError("argument", 0, 0, "-i", "no private key: expected -i <key file>, a running ssh-agent (SSH_AUTH_SOCK), or ~/.ssh/id_ed25519 or ~/.ssh/id_rsa");
  return readableKey(found, "-i");
}

function readableKey(file: string, field: string): string {
  try {
    if (!fs.statSync(file).isFile()) throw Object.assign(new Error(), { code: "not a file" });
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code ?? "unreadable";
    throw new InputError("argument", 0, 0, field, `cannot read the private key file ${file} (${why})`);
  }
  return file;
}

/** SSH through the bastion: one session per run, opened on first use. */
export class SshConnector implements Connector {
  private session?: Promise<SshSession>;
  /** the key, checked when the connector is made: before any host is tried */
  private readonly identity: string | undefined;

  constructor(
    private readonly inv: Inventory,
    private readonly req: Pick<RunRequest, "identity" | "acceptNewHostKeys">,
    private readonly notice: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
  ) {
    this.identity = identityFor(inv, req);
  }

  private sessionOnce(): Promise<SshSession> {
    this.session ??= SshSession.open({
      bastion: { name: "bastion", address: this.inv.bastion.address, port: this.inv.bastion.port, user: this.inv.bastion.user },
      identityFile: this.identity,
      knownHostsFile: this.inv.knownHostsFile,
      acceptNewHostKeys: this.req.acceptNewHostKeys,
      notice: this.notice,
    });
    return this.session;
  }

  async open(host: InventoryHost, command: string): Promise<AgentChannel> {
    const session = await this.sessionOnce();
    const target = await session.target({ name: host.name, address: host.address, port: host.port, user: host.user });
    const { channel, fire } = channelOf(await target.exec(command));
    target.onDeath(fire);
    return channel;
  }

  /** a TCP stream to address:port from the bastion (SSH forwardOut): health gates from the controller */
  async dial(address: string, port: number): Promise<ClientChannel> {
    return (await this.sessionOnce()).forwardFromBastion(address, port);
  }

  /** a command on the bastion over the run's connection to it (sudo where it needs root) */
  async bastionExec(command: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return (await this.sessionOnce()).execOnBastion(command, stdin);
  }

  async close(): Promise<void> {
    if (this.session) await (await this.session.catch(() => undefined))?.close();
  }
}

/** An ssh2 exec channel as the agent's byte channel (`fire` closes it from outside). */
function channelOf(ch: ClientChannel): { channel: AgentChannel; fire: (reason: string) => void } {
  const callbacks: ((r: string) => void)[] = [];
  let done = false;
  let exit = "";
  ch.on("exit", (code: number | null, signal?: string) => (exit = signal ? `killed by ${signal}` : `exited with ${code}`));
  const fire = (reason: string) => {
    if (done) return;
    done = true;
    callbacks.forEach((cb) => cb(exit ? `agent ${exit}` : reason));
  };
  ch.on("close", () => fire("channel closed"));
  ch.on("error", (e: Error) => fire(e.message));
  return { channel: { stdin: ch, stdout: ch, stderr: ch.stderr, onClose: (cb) => callbacks.push(cb), close: () => ch.close() }, fire };
}

async function sshConnector(inv: Inventory, req: RunRequest, _secrets: SecretFilter): Promise<Connector> {
  return new SshConnector(inv, req);
}

/** The environment's vault (when it has one) and a masker for its values. */
export function loadSecrets(env: Environment): { vault: Record<string, unknown>; filter: SecretFilter } {
  const vault = readVault(env.name) ?? {};
  const masker = new Masker();
  masker.addAll(vault);
  return { vault, filter: masker };
}
