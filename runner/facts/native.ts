/**
 * Readers the agent answers in its own process (no command on the host): a path's state and
 * content, a user's account, a user's crontab. Each is one op of agent/protocol.ts, and its
 * answer is the fact as it is.
 */
import type { AccountResult, CrontabResult, Op, StatResult } from "../agent/protocol";
import { answer } from "./parse";
import type { Reader } from "./types";

function native<A, F>(name: string, doc: string, op: (a: A) => Op): Reader<A, F> {
  return { name, doc, native: true, op, read: (r, what) => answer<F>(r, what) };
}

/** lstat of a path; with `content`, its bytes (base64) up to 1 MiB. */
export const file = native<{ path: string; content?: boolean }, StatResult>("file", "a path: exists, type, mode, owner, group, size, sha256, link target (and content up to 1 MiB)", (a) =>
  a.content ? { op: "stat", path: a.path, content: true, maxBytes: 1 << 20 } : { op: "stat", path: a.path },
);

/** getent passwd + id -nG, NSS included. */
export const account = native<{ name: string }, AccountResult>("account", "a user: exists, uid, gid, home, shell, groups", (a) => ({ op: "account", name: a.name }));

/** what `crontab -l -u <user>` lists (the spool on Debian/Ubuntu). */
export const crontab = native<{ user: string }, CrontabResult>("crontab", "a user's crontab: exists, content", (a) => ({ op: "crontab", user: a.user }));
