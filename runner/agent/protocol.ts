/**
 * The wire protocol between the runner and its agent on each host.
 *
 * Why an agent: every remote command must keep secrets out of argv (a command line is visible
 * to every user in /proc/<pid>/cmdline), and a host should cost a handful of round trips, not
 * one SSH channel per task. So the runner opens ONE exec channel per host, starts a small
 * Python agent (runner/agent/agent.py, sent over stdin; only `python3 -S -c <bootstrap>` is in
 * argv) and then sends batches of operations as JSON lines; each batch is one round trip.
 * Payloads (file contents, passwords for stdin) travel inside the JSON, never on a command line.
 *
 * Ubuntu and Debian images ship python3, which is all the agent needs.
 */

/** Read the state of a path (lstat); with `content`, also return the bytes (base64) up to maxBytes. */
export interface StatOp {
  op: "stat";
  path: string;
  content?: boolean;
  /** default 1 MiB; larger files return a checksum only */
  maxBytes?: number;
}

/**
 * Run a shell script with /bin/sh. The script MUST NOT contain secrets (the agent client's
 * guard, ./guard.ts, refuses any op showing a registered secret); pass them on `stdin` instead.
 */
export interface ShOp {
  op: "sh";
  script: string;
  /** bytes for the process's stdin, base64 */
  stdin?: string;
  /** run as this user instead of the agent's (root when the play becomes) */
  user?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** seconds; default 600 */
  timeout?: number;
}

/**
 * Write a file atomically: temp file in the same directory, fsync, chmod/chown, optional
 * validate command on the temp file (`%s` = its path), optional backup of the old file,
 * rename over the target, fsync the directory. A failure at any step leaves the old file.
 */
export interface WriteOp {
  op: "write";
  path: string;
  /** base64 */
  content: string;
  mode?: string;
  owner?: string;
  group?: string;
  validate?: string;
  backup?: boolean;
  /** create missing parent directories (0755) */
  parents?: boolean;
}

/**
 * Make a path what it should be, in the agent's own process (no mkdir, touch, ln, rm, chown or
 * chmod process per task): `directory` (mkdir -p), `touch` (an empty file when missing),
 * `link` (a symlink to `src`, an old link replaced atomically), `absent` (removed; a directory
 * with everything below) or `attrs` (only owner/group/mode). Then owner/group/mode, and with
 * `recurse` the same on everything below (symlinks: owner/group of the link, never a mode).
 * Errors: "no such user: x", "no such group: x", or the system's (PermissionError: …).
 */
export interface PathOp {
  op: "path";
  path: string;
  state: "directory" | "touch" | "link" | "absent" | "attrs";
  src?: string;
  owner?: string;
  group?: string;
  /** octal, "0750" */
  mode?: string;
  recurse?: boolean;
}

/**
 * A user's account as `getent passwd` and `id -nG` show it (NSS included), read in the agent's
 * own process. Result: AccountResult.
 */
export interface AccountOp {
  op: "account";
  name: string;
}

/**
 * A user's crontab as `crontab -l -u <user>` lists it. On Debian/Ubuntu read from the spool
 * (no crontab process); elsewhere, or for an unusual file, from `crontab -l` itself.
 * Result: CrontabResult. Errors: "no such user: x", "no crontab command: …".
 */
export interface CrontabOp {
  op: "crontab";
  user: string;
}

/** Everything the modules need to know about a host, gathered in the agent's first reply. */
export interface FactsOp {
  op: "facts";
}

/** Who runs a deploy, as the host lock records it (the agent adds its pid, login and time). */
export interface LockHolder {
  /** the operator's user name on the controller */
  user: string;
  /** the controller's host name */
  controller: string;
  /** the command, e.g. "multitier deploy analysis --env production" */
  command: string;
  /** ISO time the run started (controller's clock) */
  started: string;
}

/**
 * Take the host lock for the agent's lifetime: an exclusive flock on `path`, recording
 * `holder`. When it is held by another live agent, try again for up to `wait` seconds (0:
 * once). A lock whose agent is gone is never an obstacle (flock ends with the process); the
 * record it left is returned as `tookOver`. Result: LockResult.
 */
export interface LockOp {
  op: "lock";
  path: string;
  holder: LockHolder;
  /** seconds; default 0 */
  wait?: number;
}

export type Op = StatOp | ShOp | WriteOp | PathOp | AccountOp | CrontabOp | FactsOp | LockOp;

/** The record in a lock file: the runner's holder, and the agent's pid, login user and start. */
export type LockRecord = Partial<LockHolder> & { pid?: number; since?: number; login?: string; alive?: boolean; unreadable?: string };

export interface LockResult {
  acquired: boolean;
  /** not acquired: who holds it ({} when it recorded nothing) */
  holder?: LockRecord;
  /** not acquired: seconds the holder has held it (host's clock) */
  heldFor?: number;
  /** acquired from a holder that ended without releasing it (its agent killed) */
  tookOver?: LockRecord;
}

export interface StatResult {
  exists: boolean;
  /** "file" | "dir" | "link" | "block" | "other" */
  type?: string;
  mode?: string; // "0644"
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  sha256?: string;
  /** symlink target */
  target?: string;
  /** base64, when requested and not larger than maxBytes */
  content?: string;
}

export interface ShResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface AccountResult {
  exists: boolean;
  uid?: number;
  gid?: number;
  home?: string;
  shell?: string;
  /** names, the primary group first (unknown gids as numbers) */
  groups?: string[];
}

export interface CrontabResult {
  /** false: "no crontab for <user>" */
  exists: boolean;
  content: string;
}

export interface WriteResult {
  changed: boolean;
  sha256: string;
  backup?: string;
}

export interface Facts {
  hostname: string;
  fqdn: string;
  /** ID and VERSION_ID from /etc/os-release */
  os: { id: string; version: string; codename: string; like: string[] };
  /** "apt" | "dnf" | "yum" | "unknown" */
  pkgManager: string;
  /** "systemd" when PID 1 is systemd, else "other" */
  init: string;
  hasSupervisorctl: boolean;
  user: string;
  uid: number;
  python: string;
  /** IPv4/IPv6 addresses of the host, without loopback */
  addresses: { ipv4: string[]; ipv6: string[] };
  /** /dev/mapper/control exists: device-mapper (cryptsetup open) usable */
  deviceMapper: boolean;
  kernel: string;
}

/** One result per op, in order; `error` set when the op itself could not run. */
export type OpResult =
  | ({ ok: true } & (StatResult | ShResult | WriteResult | AccountResult | CrontabResult | Facts | LockResult))
  | { ok: false; error: string };

export interface Request {
  id: number;
  ops: Op[];
}

export interface Response {
  id: number;
  results: OpResult[];
}
