/**
 * What the executor is given (runner/executor.ts): the connector that opens an agent's channel
 * on a host, the filter that keeps secrets out of output, and the run's options.
 */
import type { Duplex } from "stream";
import type { AgentChannel } from "./agent/client";
import type { Balancer } from "./balancer/types";
import type { InventoryHost } from "./inventory";
import type { LockRequest } from "./lock";

/** Opens the byte channel the agent runs on (SSH through the bastion, or local). */
export interface Connector {
  open(host: InventoryHost, command: string): Promise<AgentChannel>;
  close(): Promise<void> | void;
  /** the host lock's file on `host` (default /run/multitier/lock) */
  lockFile?(host: InventoryHost): string;
  /** a TCP stream to address:port from the controller's side (through the bastion): health gates with `from: controller` */
  dial?(address: string, port: number): Promise<Duplex>;
  /** run a command on the bastion itself (the lab's stand-in balancer edits its nginx there) */
  bastionExec?(command: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Keeps secrets out of output and command lines (runner/secrets/mask.ts implements it). */
export interface SecretFilter {
  mask(text: string): string;
  isSecret(text: string): boolean;
  /** register one more secret (e.g. a passphrase typed for unlock) */
  add?(value: string): void;
}

export interface RunOptions {
  check: boolean;
  diff: boolean;
  tags: string[];
  skipTags: string[];
  forks: number;
  /** take each host's lock (runner/lock.ts); undefined: none (--check) */
  lock?: LockRequest;
  /** the environment's load balancer, for plays with `balancer: drain` (runner/balancer/) */
  balancer?: Balancer;
}
