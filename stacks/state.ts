/**
 * Where an environment without `backend.s3` keeps its Terraform state: `terraform.<env>.tfstate`
 * in the project root (cdktf's own default place, git-ignored), never inside cdktf.out, which
 * `rm -rf cdktf.out` deletes. The backend path is relative to the stack's folder
 * (cdktf.out/stacks/<env>, where Terraform runs), so the synthesized JSON holds no path of
 * the operator's machine. Earlier versions kept it at cdktf.out/stacks/<env>/terraform.<env>.tfstate.
 */
import * as path from "path";

/** The state file, relative to the project root. */
export const localStatePath = (env: string) => `terraform.${env}.tfstate`;

/** Where state used to be written (inside the build folder), relative to the project root. */
export const legacyStatePath = (env: string) => path.join("cdktf.out", "stacks", env, `terraform.${env}.tfstate`);

/**
 * The local backend's `path` for a stack synthesized into `<outdir>/stacks/<env>`: relative
 * to that folder, back up to the project root. An outdir outside the project (a temporary
 * synth for review) gets the path of the default outdir, so reviews compare like with like.
 */
export function backendPath(env: string, outdir: string, root = process.cwd()): string {
  const rel = path.relative(root, path.resolve(root, outdir));
  const inside = rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  const stackDir = path.join(inside ? rel : "cdktf.out", "stacks", env);
  return path.posix.join(...stackDir.split(path.sep).map(() => ".."), localStatePath(env));
}
