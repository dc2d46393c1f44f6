/**
 * Real `terraform init -backend=false` + `terraform validate` on synthesized stacks, so the
 * AWS provider's own schema and validators judge what we generate (a DLM description with a
 * colon passed every check of ours and failed every first `cdktf deploy`). One module used by
 * both `multitier validate` and test/stacks/terraform-validate.test.ts:
 *   - findProviderMirror: a filesystem mirror of hashicorp/aws, found at run time
 *     ($MULTITIER_TF_MIRROR, else a shallow search of the usual roots; never a path written here);
 *   - providerSetup: a temporary CLI config pointing at that mirror (TF_CLI_CONFIG_FILE) and a
 *     shared plugin cache, or the operator's own TF_CLI_CONFIG_FILE / provider download;
 *   - repin: the stack JSON with the backend dropped and, with a mirror, the provider pinned to
 *     the mirror's version (the stacks pin the version @cdktf/provider-aws was built for);
 *   - validateStacks: init + validate each stack in its own directory, at most `parallel` at once.
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pLimit from "p-limit";

export const PROVIDER = "registry.terraform.io/hashicorp/aws";

export interface Mirror {
  /** the folder above registry.terraform.io/ */
  root: string;
  /** highest provider version it holds for this platform, e.g. 5.100.0 */
  version: string;
}

/** Roots searched (two levels deep) for `<root>/…/registry.terraform.io/hashicorp/aws/<v>/<os_arch>/`. */
function mirrorRoots(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? os.homedir();
  return [
    path.join(home, ".terraform.d", "plugins"),
    path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt",
    "/usr/local/share",
    "/usr/local/lib",
    "/srv",
  ];
}

function platform(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return `${process.platform}_${arch}`;
}

const semverDesc = (a: string, b: string) => b.localeCompare(a, "en", { numeric: true });

/** The mirror's version when `root` is a mirror root holding the AWS provider for this platform. */
function mirrorAt(root: string): Mirror | undefined {
  const dir = path.join(root, PROVIDER);
  let versions: string[];
  try {
    versions = fs.readdirSync(dir).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  } catch {
    return undefined;
  }
  const usable = versions
    .filter((v) => {
      try {
        return fs.readdirSync(path.join(dir, v, platform())).some((f) => f.startsWith("terraform-provider-aws_"));
      } catch {
        return false;
      }
    })
    .sort(semverDesc);
  return usable.length ? { root, version: usable[0] } : undefined;
}

/** $MULTITIER_TF_MIRROR (a mirror root) when set, else the first mirror under the usual roots. */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): Mirror | undefined {
  if (env.MULTITIER_TF_MIRROR) return mirrorAt(env.MULTITIER_TF_MIRROR);
  for (const root of mirrorRoots(env)) {
    const found = mirrorAt(root) ?? subdirs(root).map(mirrorAt).find(Boolean) ?? subdirs(root).flatMap(subdirs).map(mirrorAt).find(Boolean);
    if (found) return found;
  }
  return undefined;
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith("."))
      .map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** `terraform version` (e.g. "1.11.4"), or undefined when no terraform is on PATH. */
export function terraformVersion(): string | undefined {
  try {
    const out = execFileSync("terraform", ["version", "-json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    return (JSON.parse(out) as { terraform_version?: string }).terraform_version;
  } catch {
    return undefined;
  }
}

export interface ProviderSetup {
  /** environment for every terraform process */
  env: NodeJS.ProcessEnv;
  /** the provider version to pin, when it differs from the synthesized one (mirror) */
  pin?: string;
  /** one phrase for the operator: where the provider comes from */
  source: string;
}

/**
 * How terraform finds the provider. With a mirror: a CLI config in `workDir` (filesystem_mirror,
 * plugin_cache_dir = cacheDir) and the mirror's version pinned. Without one: the operator's
 * TF_CLI_CONFIG_FILE when it names a file, else the registry (the operator's own download),
 * with TF_PLUGIN_CACHE_DIR so the provider is fetched once, not once per stack.
 */
export function providerSetup(opts: { workDir: string; cacheDir: string; mirror?: Mirror; env?: NodeJS.ProcessEnv }): ProviderSetup {
  const base = opts.env ?? process.env;
  fs.mkdirSync(opts.cacheDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", TF_PLUGIN_CACHE_DIR: opts.cacheDir };
  if (opts.mirror) {
    const file = path.join(opts.workDir, "terraform-cli.tfrc");
    const q = (s: string) => JSON.stringify(s);
    fs.writeFileSync(
      file,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${q(opts.mirror.root)}\n    include = [${q(PROVIDER)}]\n  }\n}\nplugin_cache_dir = ${q(opts.cacheDir)}\n`,
    );
    return { env: { ...env, TF_CLI_CONFIG_FILE: file }, pin: opts.mirror.version, source: `hashicorp/aws ${opts.mirror.version} from the filesystem mirror ${opts.mirror.root} (re-pinned, backend dropped)` };
  }
  if (base.TF_CLI_CONFIG_FILE && fs.existsSync(base.TF_CLI_CONFIG_FILE))
    return { env, source: `the provider as TF_CLI_CONFIG_FILE=${base.TF_CLI_CONFIG_FILE} installs it (backend dropped)` };
  const { TF_CLI_CONFIG_FILE: _ignored, ...rest } = env;
  return { env: rest, source: "the provider from the Terraform registry (your own download, cached; backend dropped)" };
}

/** A copy of a stack's JSON fit for offline validation: no backend, provider re-pinned when asked. */
export function repin(stack: Record<string, any>, version?: string): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(stack));
  if (copy.terraform) delete copy.terraform.backend;
  if (version && copy.terraform?.required_providers?.aws) copy.terraform.required_providers.aws.version = version;
  return copy;
}

export interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  address?: string;
}

export interface StackResult {
  name: string;
  /** true when init and validate both succeeded with no error diagnostics */
  valid: boolean;
  diagnostics: Diagnostic[];
  /** init (or validate) did not run to completion: its first error line */
  failure?: string;
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("terraform", args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) || 1 : 0, stdout, stderr });
    });
  });
}

/** Terraform's first error as one line: "Error: <summary>: <its explanation>" (box-drawing frame stripped). */
export function firstErrorLine(text: string): string {
  const lines = text.split("\n").map((l) => l.replace(/^[│╷╵]\s?/, "").trim());
  const i = lines.findIndex((l) => /^Error:/.test(l));
  if (i < 0) return lines.find((l) => l && !/^Initializing/.test(l)) ?? "no output";
  let j = i + 1;
  while (j < lines.length && !lines[j]) j++;
  const para: string[] = [];
  for (; j < lines.length && lines[j]; j++) para.push(lines[j]);
  const why = para.join(" ").replace(/\s+/g, " ");
  return why ? `${lines[i]}: ${why.length > 300 ? `${why.slice(0, 299)}…` : why}` : lines[i];
}

/**
 * Write each stack to `<workDir>/<name>/cdk.tf.json` (re-pinned), then `terraform init
 * -backend=false` (one at a time) and `terraform validate -json` in it, `parallel` stacks at a time.
 */
export async function validateStacks(
  stacks: { name: string; json: Record<string, any> }[],
  opts: { workDir: string; setup: ProviderSetup; parallel?: number },
): Promise<StackResult[]> {
  const limit = pLimit(opts.parallel ?? 2);
  // one `terraform init` at a time: Terraform documents the shared plugin cache as unsafe for
  // concurrent inits (two at once failed in CI: "after installing registry.terraform.io/hashicorp/aws
  // it is still not detected in .terraform/providers"); each init only links from the cache
  const oneInit = pLimit(1);
  const env = { ...opts.setup.env, NO_COLOR: "1" };
  return Promise.all(
    stacks.map((s) =>
      limit(async (): Promise<StackResult> => {
        const dir = path.join(opts.workDir, s.name);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(repin(s.json, opts.setup.pin), null, 2));
        const init = await oneInit(() => run(["init", "-backend=false", "-input=false", "-no-color"], dir, env));
        if (init.code !== 0) return { name: s.name, valid: false, diagnostics: [], failure: `terraform init: ${firstErrorLine(init.stderr || init.stdout)}` };
        const v = await run(["validate", "-json", "-no-color"], dir, env);
        let parsed: { valid?: boolean; diagnostics?: Diagnostic[] };
        try {
          parsed = JSON.parse(v.stdout);
        } catch {
          return { name: s.name, valid: false, diagnostics: [], failure: `terraform validate: ${firstErrorLine(v.stderr || v.stdout)}` };
        }
        const diagnostics = (parsed.diagnostics ?? []).map((d) => ({ severity: d.severity, summary: d.summary, detail: d.detail || undefined, address: d.address }));
        return { name: s.name, valid: parsed.valid === true && !diagnostics.some((d) => d.severity === "error"), diagnostics };
      }),
    ),
  );
}

/** One line per diagnostic: `<stack> <address>: <summary>[: <detail>]` (terraform's snippet left out). */
export function diagnosticLine(stack: string, d: Diagnostic): string {
  const detail = d.detail ? `: ${d.detail.replace(/\s+/g, " ").trim()}` : "";
  return `terraform validate ${stack}${d.address ? ` ${d.address}` : ""}: ${d.severity}: ${d.summary}${detail}`;
}
