/**
 * The real tools judge the stacks: every shipped environment and generated variants that switch
 * on every environment-file option are synthesized, then the real `terraform init -backend=false`
 * + `terraform validate` run on each with the real AWS provider from the machine's filesystem
 * mirror. The stacks pin the provider @cdktf/provider-aws was built for; the mirror holds
 * another version, so a temporary copy is re-pinned to the mirror's version and its backend
 * dropped (terraform/validate.ts, shared with `multitier validate`). No terraform or no mirror:
 * the suite is skipped with the reason printed, never passed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Environment } from "../../config/environment";
import { listEnvironmentFiles, loadEnvironmentFile } from "../../config/load";
import { synthStacks } from "../../terraform/synth";
import { diagnosticLine, findProviderMirror, providerSetup, terraformVersion, validateStacks, type StackResult } from "../../terraform/validate";
import { ROOT } from "./synth";
import { OPTIONS, variantEdits, writeVariants } from "./variants";

const version = terraformVersion();
const mirror = findProviderMirror();
const skip = !version ? "no `terraform` on PATH" : !mirror ? "no filesystem mirror of hashicorp/aws found (set MULTITIER_TF_MIRROR to its root)" : undefined;
if (skip) console.log(`SKIPPED test/stacks/terraform-validate.test.ts: ${skip}`);
const suite = skip ? describe.skip : describe;

const shipped = listEnvironmentFiles(path.join(ROOT, "hosts")).map(loadEnvironmentFile).filter((e) => e.platform === "aws");
const variantNames = Object.keys(variantEdits(""));

suite(`real terraform init + validate, stacks re-pinned to the mirror's hashicorp/aws ${mirror?.version ?? "?"} with the backend dropped`, () => {
  let tmp: string;
  let home: string;
  let envs: Environment[] = [];
  const results = new Map<string, StackResult>();

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tfv-"));
    // staging imports ~/.ssh/id_ed25519.pub and Terraform's file() reads it at validate time:
    // a HOME of our own with a throwaway key
    home = path.join(tmp, "home");
    fs.mkdirSync(path.join(home, ".ssh"), { recursive: true });
    const key = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(home, ".ssh", "id_ed25519")]);
    if (key.status !== 0) throw new Error(`ssh-keygen failed: ${key.stderr}`);
    fs.mkdirSync(path.join(tmp, "hosts"));
    envs = [...shipped, ...writeVariants(path.join(tmp, "hosts"), path.join(home, ".ssh", "id_ed25519.pub"))];
    const stacks = synthStacks(envs, path.join(tmp, "synth"));
    // the control: production with the colon the provider refuses put back in its DLM description
    const control = JSON.parse(JSON.stringify(stacks.find((s) => s.name === "production")!.json));
    const [dlm] = Object.values<any>(control.resource.aws_dlm_lifecycle_policy);
    dlm.description = "emission: daily snapshots of data volumes";
    stacks.push({ name: "control-dlm-colon", json: control });
    const setup = providerSetup({ workDir: tmp, cacheDir: path.join(tmp, "plugin-cache"), mirror, env: { ...process.env, HOME: home } });
    for (const r of await validateStacks(stacks, { workDir: path.join(tmp, "stacks"), setup, parallel: 2 })) results.set(r.name, r);
  }, 600_000);
  afterAll(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  test.each([...shipped.map((e) => e.name), ...variantNames])("%s passes terraform validate with no error or warning", (name) => {
    const r = results.get(name)!;
    expect(r.failure).toBeUndefined();
    expect(r.diagnostics.map((d) => diagnosticLine(name, d))).toEqual([]);
    expect(r.valid).toBe(true);
  });

  test("the check can fail: a DLM description with a colon is refused by the provider", () => {
    const r = results.get("control-dlm-colon")!;
    expect(r.valid).toBe(false);
    expect(r.diagnostics.map((d) => `${d.address} ${d.summary}`)).toEqual([expect.stringMatching(/^aws_dlm_lifecycle_policy\.\S+ invalid value for description/)]);
  });

  test("between them the environments switch on every option of an environment file", () => {
    const missing = Object.entries(OPTIONS)
      .filter(([, has]) => !envs.some(has))
      .map(([o]) => o);
    expect(missing).toEqual([]);
  });
});

suite("multitier validate runs the same terraform validate after the schema checks", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tfv-cli-"));
    fs.mkdirSync(path.join(tmp, "hosts"));
    fs.copyFileSync(path.join(ROOT, "hosts", "production.yaml"), path.join(tmp, "hosts", "production.yaml"));
    // node alone on PATH: the "no terraform" case
    fs.mkdirSync(path.join(tmp, "bin"));
    fs.symlinkSync(process.execPath, path.join(tmp, "bin", "node"));
  });
  afterAll(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));
  const cli = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [path.join(ROOT, "bin", "multitier.js"), "validate"], { cwd: tmp, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: "hosts", TF_CLI_CONFIG_FILE: "", ...env } });

  test("with terraform: the stack is validated by the real provider and says where it came from", () => {
    const r = cli({});
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "hosts/production.yaml: ok (production)",
      `hosts/production.yaml: terraform validate ok (terraform ${version}, hashicorp/aws ${mirror!.version} from the filesystem mirror ${mirror!.root} (re-pinned, backend dropped))`,
      "",
    ]);
    expect(r.status).toBe(0);
  }, 120_000);

  test("without terraform it says plainly that it skipped the step", () => {
    const r = cli({ PATH: path.join(tmp, "bin") });
    expect(r.stdout).toMatch(/^terraform validate: skipped — no `terraform` on PATH/m);
    expect(r.status).toBe(0);
  });
});
