/**
 * git — a checkout of `repo` at a pinned `version` in `dest`.
 *
 * Arguments:
 *   repo     URL or path of the repository (https://, ssh, file://, /path)      required
 *   dest     absolute path of the checkout                                      required
 *   version  the pinned ref: a tag, a commit (full or abbreviated) or a branch (a branch
 *            means origin/<branch> as last fetched: it moves only when the checkout lacks
 *            the commit, so pin tags or commits)                               required
 *   user     run git as this user (who then owns the checkout)
 *
 *   - name: e-mission-server
 *     git: { repo: "https://github.com/e-mission/e-mission-server.git", dest: /code/e-mission-server, version: "{{emission_version}}", user: emission }
 *
 * Probe: one sh op — `git -C dest rev-parse HEAD`, the origin URL, and the ref resolved in
 * the clone (`git rev-parse <ref>^{commit}`, origin/<ref> first). Nothing to do when HEAD is
 * that commit. Otherwise: clone (`--no-checkout`, then a detached checkout of the ref), or
 * fetch + detached checkout. A dest cloned from another repository is never touched (the
 * task fails and says so). git never prompts (GIT_TERMINAL_PROMPT=0, ssh BatchMode).
 */
import { z } from "zod";
import { facts } from "../facts";
import { resolveRef, type Checkout } from "../facts/git";
import { absPath, masked, noSecretIn, userName } from "./results";
import { shq, type Module, type Plan, type TaskContext } from "./types";

const args = z
  .object({
    repo: z
      .string()
      .min(1)
      .refine((r) => !r.startsWith("-") && !/\s/.test(r), { message: "expected a repository URL or path" }),
    dest: absPath,
    version: z
      .string()
      .regex(/^[A-Za-z0-9._][A-Za-z0-9._/-]*$/, "expected a tag, branch or commit")
      .refine((v) => !v.includes(".."), { message: "expected a tag, branch or commit" }),
    user: userName.optional(),
  })
  .strict();
type Args = z.output<typeof args>;

/** git must fail, not wait for a password nobody will type */
const NO_PROMPT = { GIT_TERMINAL_PROMPT: "0", GIT_SSH_COMMAND: "ssh -o BatchMode=yes" };

function planGit(a: Args, out: Checkout, ctx: TaskContext): Plan {
  const d = shq(a.dest);
  const would = (verb: string) => (ctx.check ? `would ${verb}` : verb);
  const checkout = `want=$(${resolveRef(d, a.version)}) || { echo "${a.version.replace(/"/g, "")}: no such tag, branch or commit in ${a.repo}" >&2; exit 1; }; git -C ${d} checkout -q --detach "$want"`;
  if (out.absent)
    return {
      status: "changed",
      msg: `${would("clone")} ${a.repo} at ${a.version} into ${a.dest}`,
      apply: [{ op: "sh", user: a.user, env: NO_PROMPT, script: `git clone -q --no-checkout -- ${shq(a.repo)} ${d} && ${checkout}`, timeout: 1800 }],
    };
  if (!out.head) return { status: "failed", msg: `${a.dest} is not a readable git checkout${out.err ? `: ${out.err}` : ""}` };
  if (out.url !== a.repo) return { status: "failed", msg: `${a.dest} is a checkout of ${out.url || "an unknown origin"}, not ${a.repo}; move it away by hand` };
  if (out.want && out.want === out.head) return { status: "ok", msg: `nothing to do (at ${a.version}, ${out.head.slice(0, 12)})` };
  return {
    status: "changed",
    msg: `${would("move")} ${a.dest} from ${out.head.slice(0, 12)} to ${a.version}${out.want ? ` (${out.want.slice(0, 12)})` : " (after a fetch)"}`,
    apply: [{ op: "sh", user: a.user, env: NO_PROMPT, script: `git -C ${d} fetch -q --tags origin && ${checkout}`, timeout: 1800 }],
  };
}

export const git: Module<Args> = {
  name: "git",
  doc: "clone repo into dest and check out a pinned version (tag, commit, branch)",
  args,
  probe(a, ctx) {
    noSecretIn(ctx, "repo", a.repo); // a token in a URL would be on git's command line: use a deploy key
    return [facts.checkout.op({ dest: a.dest, version: a.version, user: a.user })];
  },
  plan: (a, [r], ctx) => masked(planGit(a, facts.checkout.read(r, "git status"), ctx), ctx),
};
