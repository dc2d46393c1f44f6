/**
 * git — a checkout of `repo` at a pinned `version` in `dest`.
 *
 * Arguments: repo (URL or path), dest, version (tag or commit; a branch works but is
 * resolved as last fetched), user (owner of the checkout and who runs git).
 *
 *   - name: e-mission-server
 *     git: { repo: "{{emission_repo}}", dest: /code/e-mission-server, version: "{{emission_version}}", user: ubuntu }
 *
 * Nothing to do when HEAD is already that commit. A dest cloned from another repository is
 * never touched (the task fails and says so).
 */
import { z } from "zod";
import { asSh } from "./results";
import { shq, type Module } from "./types";

const args = z
  .object({
    repo: z.string().min(1),
    dest: z.string().startsWith("/", { message: "expected an absolute path" }),
    version: z.string().regex(/^[A-Za-z0-9._/-]+$/, "expected a tag, branch or commit"),
    user: z.string().min(1).optional(),
  })
  .strict();
type Args = z.output<typeof args>;

export const git: Module<Args> = {
  name: "git",
  doc: "clone repo into dest and check out a pinned version",
  args,
  probe(a) {
    const d = shq(a.dest);
    const v = shq(a.version);
    return [
      {
        op: "sh",
        user: a.user,
        script: `if [ -d ${d}/.git ]; then echo "head=$(git -C ${d} rev-parse HEAD)"; echo "url=$(git -C ${d} config --get remote.origin.url)"; echo "want=$(git -C ${d} rev-parse -q --verify origin/${a.version}^{commit} 2>/dev/null || git -C ${d} rev-parse -q --verify ${v}^{commit} 2>/dev/null)"; else echo "absent=1"; fi`,
      },
    ];
  },
  plan(a, [r]) {
    const out = Object.fromEntries(
      asSh(r, "git status")
        .stdout.split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const d = shq(a.dest);
    const v = shq(a.version);
    const checkout = `git -C ${d} checkout -q --detach "$(git -C ${d} rev-parse -q --verify origin/${a.version}^{commit} 2>/dev/null || git -C ${d} rev-parse ${v}^{commit})"`;
    if (out.absent)
      return { status: "changed", msg: `clone ${a.repo} at ${a.version}`, apply: [{ op: "sh", user: a.user, script: `git clone -q --no-checkout ${shq(a.repo)} ${d} && ${checkout}`, timeout: 1800 }] };
    if (out.url !== a.repo) return { status: "failed", msg: `${a.dest} is a checkout of ${out.url || "an unknown origin"}, not ${a.repo}; move it away by hand` };
    if (out.want && out.want === out.head) return { status: "ok", msg: `nothing to do (at ${a.version})` };
    return { status: "changed", msg: `move ${a.dest} to ${a.version}`, apply: [{ op: "sh", user: a.user, script: `git -C ${d} fetch -q --tags origin && ${checkout}`, timeout: 1800 }] };
  },
};
