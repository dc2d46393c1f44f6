/**
 * Runner side of the agent protocol: starts the agent over any byte channel (an SSH exec
 * channel in real runs, a local child process in unit tests), sends batches of ops and
 * resolves them in order. Each `call` is one round trip; `roundTrips` counts them.
 * Every op of every call passes the secret guard (./guard.ts) first: a batch with a vault
 * value on a command line, in a path or in an environment is refused whole, nothing sent.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Readable, Writable } from "stream";
import { secretOnCommandLine, SecretRefusedError, type SecretTest } from "./guard";
import type { Facts, Op, OpResult, Response } from "./protocol";

const AGENT_SOURCE = fs.readFileSync(path.join(__dirname, "agent.py"), "utf8");

/** The only thing that appears on the host's command line. */
// -S: no site module. The agent needs only the standard library, and site's .pth processing
// (Debian ships several) is a third of the interpreter's start: ~30 ms per host and run.
// The source follows on stdin, its length in bytes on the first line: no json import (~10 ms)
// just to read it.
export const BOOTSTRAP = `python3 -S -c 'import sys;i=sys.stdin.buffer;exec(i.read(int(i.readline())))'`;

/** The command that starts the agent, with become via `sudo -n` (never prompts). */
export function agentCommand(become: boolean): string {
  return become ? `sudo -n ${BOOTSTRAP}` : BOOTSTRAP;
}

export interface AgentChannel {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** called once when the channel is gone, with a reason */
  onClose(cb: (reason: string) => void): void;
  close(): void;
}

/** For runs and commands that hold no vault (ping, facts, tests): nothing is secret. */
export const NO_SECRETS: SecretTest & { mask(text: string): string } = { mask: (t) => t, isSecret: () => false };

export class AgentLostError extends Error {
  constructor(readonly host: string, reason: string) {
    super(`${host}: connection to the agent lost (${reason})`);
    this.name = "AgentLostError";
  }
}

export class AgentClient {
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: OpResult[]) => void; reject: (e: Error) => void }>();
  private buffer = "";
  private stderrTail = "";
  private closedReason: string | undefined;
  /** the channel is gone (the agent ended); `close` waits for it */
  private ended = false;
  private endWaiters: (() => void)[] = [];
  roundTrips = 0;
  facts!: Facts;

  private constructor(
    readonly host: string,
    private readonly channel: AgentChannel,
    private readonly secrets: SecretTest,
  ) {
    channel.stdout.setEncoding("utf8");
    channel.stdout.on("data", (chunk: string) => this.onData(chunk));
    channel.stderr.setEncoding("utf8");
    channel.stderr.on("data", (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-2000)));
    channel.onClose((reason) => this.onClose(reason));
  }

  /** answers to the `before` ops of `start` (the host lock) */
  started: OpResult[] = [];

  /**
   * Start the agent on `channel` and gather facts in the same round trip, after the `before`
   * ops (the host lock: nothing is read before it is held); their answers are in `started`.
   * `secrets` says what must never leave in a visible field (NO_SECRETS where a command has
   * no vault).
   */
  static async start(host: string, channel: AgentChannel, secrets: SecretTest, before: Op[] = []): Promise<AgentClient> {
    const client = new AgentClient(host, channel, secrets);
    channel.stdin.write(`${Buffer.byteLength(AGENT_SOURCE)}\n${AGENT_SOURCE}`);
    const results = await client.call([...before, { op: "facts" }]);
    const facts = results[before.length];
    if (!facts?.ok) throw new Error(`${host}: agent could not gather facts: ${facts?.error ?? "no answer"}`);
    client.facts = facts as unknown as Facts;
    client.started = results.slice(0, before.length);
    return client;
  }

  /** Send one batch; resolves with one result per op. Rejects (SecretRefusedError) before sending a secret. */
  call(ops: Op[]): Promise<OpResult[]> {
    const refused = secretOnCommandLine(ops, this.secrets);
    if (refused) return Promise.reject(new SecretRefusedError(this.host, refused));
    if (this.closedReason) return Promise.reject(new AgentLostError(this.host, this.closedReason));
    const id = this.nextId++;
    this.roundTrips++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.channel.stdin.write(JSON.stringify({ id, ops }) + "\n");
    });
  }

  /**
   * End the agent: close its stdin and wait (up to `waitMs`) for it to end, so that when a
   * run returns its agents are gone and their host locks released (the next run, started at
   * once, finds the hosts free); then close the channel.
   */
  close(waitMs = 5000): Promise<void> {
    if (!this.closedReason) this.closedReason = "closed by the runner";
    try {
      this.channel.stdin.end();
    } catch {
      /* already gone */
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.channel.close();
        resolve();
      };
      if (this.ended) return done();
      timer = setTimeout(done, waitMs);
      this.endWaiters.push(done);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: Response;
      try {
        msg = JSON.parse(line) as Response;
      } catch {
        this.stderrTail += `\n(unexpected output: ${line.slice(0, 200)})`;
        continue;
      }
      const waiter = this.pending.get(msg.id);
      if (waiter) {
        this.pending.delete(msg.id);
        waiter.resolve(msg.results);
      }
    }
  }

  private onClose(reason: string): void {
    this.ended = true;
    this.endWaiters.splice(0).forEach((w) => w());
    const detail = this.stderrTail.trim().split("\n").filter(Boolean).pop();
    this.closedReason ??= detail ? `${reason}: ${detail}` : reason;
    for (const [, w] of this.pending) w.reject(new AgentLostError(this.host, this.closedReason));
    this.pending.clear();
  }
}

/**
 * Run the agent as a local child process (tests of modules in a temp directory, and the
 * `local` connection). Same protocol, no SSH. `command` replaces the usual start command
 * (tests wrap it, e.g. in a chroot or as another user); it must end by exec'ing the agent.
 */
export function localChannel(become = false, command = agentCommand(become)): AgentChannel {
  const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
  let closed = false;
  const callbacks: ((r: string) => void)[] = [];
  const fire = (reason: string) => {
    if (closed) return;
    closed = true;
    callbacks.forEach((cb) => cb(reason));
  };
  child.on("exit", (code, signal) => fire(signal ? `agent killed by ${signal}` : `agent exited with ${code}`));
  child.on("error", (e) => fire(e.message));
  child.stdin.on("error", () => undefined);
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    onClose: (cb) => callbacks.push(cb),
    close: () => {
      child.stdin.end();
      setTimeout(() => child.kill("SIGTERM"), 2000).unref();
    },
  };
}
