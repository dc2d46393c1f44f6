/** A git checkout: absent, or its HEAD, origin URL and the commit a version names there. */
import { shq } from "../modules/types";
import { keyValues, shAnswer } from "./parse";
import type { Reader } from "./types";

export interface Checkout {
  absent: boolean;
  head: string;
  url: string;
  /** the commit `version` resolves to in the clone ("" when it does not, e.g. before a fetch) */
  want: string;
  err: string;
}

/** the ref's commit in the clone (origin/<ref> first: a branch means the remote's) */
export function resolveRef(d: string, version: string): string {
  return `git -C ${d} rev-parse -q --verify ${shq(`origin/${version}^{commit}`)} 2>/dev/null || git -C ${d} rev-parse -q --verify ${shq(`${version}^{commit}`)} 2>/dev/null`;
}

export const checkout: Reader<{ dest: string; version: string; user?: string }, Checkout> = {
  name: "checkout",
  doc: "a git checkout at dest: HEAD, origin URL, the commit of a version",
  native: false,
  op(a) {
    const d = shq(a.dest);
    return {
      op: "sh",
      user: a.user,
      script: `if [ -e ${d}/.git ]; then
  echo "head=$(git -C ${d} rev-parse -q --verify HEAD 2>/dev/null)"
  echo "url=$(git -C ${d} config --get remote.origin.url)"
  echo "want=$(${resolveRef(d, a.version)})"
  echo "err=$(git -C ${d} rev-parse HEAD 2>&1 >/dev/null | head -n 1)"
else echo "absent=1"; fi`,
    };
  },
  read(r, what) {
    const out = keyValues(shAnswer(r, what).stdout);
    return { absent: Boolean(out.absent), head: out.head ?? "", url: out.url ?? "", want: out.want ?? "", err: out.err ?? "" };
  },
};
