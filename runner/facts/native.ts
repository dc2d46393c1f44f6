/**
 * Readers the agent answers in its own process (no command on the host): a path's state and
 * content, a user's account, a user's crontab. Each is one op of agent/protocol.ts.
 */
import type { AccountResult, CrontabResult, StatResult } from "../agent/protocol";
import { answer } from "./parse";
import type { Reader } from "./types";

/** lstat of a path; with `content`, its bytes (base64) up to 1 MiB. */
export const file: Reader<{ path: string; content?: boolean }, StatResult> = {
  name: "file",
  doc: "a path: exists, type, mode, owner, group, size, sha256, link target (and content up to 1 MiB)",
  native: true,
  op: (a) => (a.content ? { op: "stat", path: a.path, content: true, maxBytes: 1 << 20 } : { op: "stat", path: a.path }),
  read: (r, what) => answer<StatResult>(r, what),
};

/** getent passwd + id -nG, NSS included. */
export const account: Reader<{ name: string }, AccountResult> = {
  name: "account",
  doc: "a user: exists, uid, gid, home, shell, groups",
  native: true,
  op: (a) => ({ op: "account", name: a.name }),
  read: (r, what) => answer<AccountResult>(r, what),
};

/** what `crontab -l -u <user>` lists (the spool on Debian/Ubuntu). */
export const crontab: Reader<{ user: string }, CrontabResult> = {
  name: "crontab",
  doc: "a user's crontab: exists, content",
  native: true,
  op: (a) => ({ op: "crontab", user: a.user }),
  read: (r, what) => answer<CrontabResult>(r, what),
};
