/** What is mounted at a mount point (findmnt -J), and what a directory holds (ls -A, first 4). */
import { shq } from "../modules/types";
import { shAnswer } from "./parse";
import type { Reader } from "./types";

export interface LiveMount {
  target: string;
  source: string;
  fstype: string;
  "vfs-options": string;
  "fs-options": string;
  "maj:min": string;
}

/** The top-most mount at the mount point, from `findmnt -J` (undefined when nothing is mounted). */
export function parseFindmnt(json: string): LiveMount | undefined {
  if (!json.trim()) return undefined;
  const fss = (JSON.parse(json) as { filesystems?: LiveMount[] }).filesystems ?? [];
  return fss[fss.length - 1];
}

export const mountPoint: Reader<{ path: string }, LiveMount | undefined> = {
  name: "mountPoint",
  doc: "the file system mounted at a path (source, type, options, device numbers), if any",
  native: false,
  op: (a) => ({ op: "sh", script: `findmnt -J -o TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,MAJ:MIN --mountpoint ${shq(a.path)}\ntrue` }),
  read: (r, what) => parseFindmnt(shAnswer(r, what).stdout),
};

export const dirEntries: Reader<{ path: string }, string[]> = {
  name: "dirEntries",
  doc: "up to four names in a directory (none when it is missing)",
  native: false,
  op: (a) => ({ op: "sh", script: `[ -d ${shq(a.path)} ] && ls -A ${shq(a.path)} | head -n 4; true` }),
  read: (r, what) => shAnswer(r, what).stdout.split("\n").filter(Boolean),
};
