/**
 * Local state outside cdktf.out: the backend path in the synthesized JSON (relative, no path
 * of this machine), real Terraform keeping state across `rm -rf cdktf.out`, the warnings and
 * refusals of scripts/state.ts, `make apply` refusing state left at the old path, and the CI
 * workflow's plan step refusing to plan from local state (run in bash with a stand-in
 * `terraform` that records being called).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { backendPath, legacyStatePath, localStatePath } from "../../stacks/state";
import { ROOT, synthFile } from "./synth";

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
if (!haveTerraform) console.log("state test with real terraform skipped: terraform is not on PATH");

let dir: string;
/** a project folder: every top-level entry of the checkout linked, its own hosts/ (production with local state) */
function project(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "mt-state-"));
  for (const e of fs.readdirSync(ROOT)) if (![".git", "hosts", "cdktf.out"].includes(e)) fs.symlinkSync(path.join(ROOT, e), path.join(d, e));
  fs.mkdirSync(path.join(d, "hosts"));
  fs.copyFileSync(path.join(ROOT, "hosts", "production.yaml"), path.join(d, "hosts", "production.yaml"));
  return d;
}
const withS3 = (d: string) => {
  const f = path.join(d, "hosts", "production.yaml");
  fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("keyPair:", "backend:\n  s3: { bucket: team-state }\nkeyPair:"));
};
const state = (d: string, ...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/state.ts", ...args], { cwd: d, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: "hosts" } });

beforeEach(() => {
  dir = project();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the backend path leads from the stack's folder to the project root; the JSON holds no path of this machine", () => {
  const prod = synthFile("production");
  expect(prod.json.terraform.backend.local.path).toBe("../../../terraform.production.tfstate");
  expect(prod.text).not.toContain(ROOT);
  expect(prod.text).not.toContain(os.tmpdir());
  expect(backendPath("staging", "cdktf.out/hcl", "/x/project")).toBe("../../../../terraform.staging.tfstate");
  expect(backendPath("staging", "/tmp/elsewhere", "/x/project")).toBe("../../../terraform.staging.tfstate");
  expect(path.resolve("/x/project/cdktf.out/stacks/staging", backendPath("staging", "cdktf.out", "/x/project"))).toBe(path.join("/x/project", localStatePath("staging")));
});

(haveTerraform ? test : test.skip)("real terraform: state written beside the project survives rm -rf cdktf.out (plan after re-synth: no changes)", () => {
  const stackDir = path.join(dir, "cdktf.out", "stacks", "production");
  const synth = () => {
    fs.mkdirSync(stackDir, { recursive: true });
    const json = { terraform: { backend: { local: { path: backendPath("production", "cdktf.out", dir) } } }, resource: { terraform_data: { marker: { input: "kept" } } } };
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(json));
  };
  const tf = (...args: string[]) => execFileSync("terraform", [...args, "-input=false", "-no-color"], { cwd: stackDir, env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  synth();
  tf("init");
  tf("apply", "-auto-approve");
  expect(fs.existsSync(path.join(dir, "terraform.production.tfstate"))).toBe(true);
  fs.rmSync(path.join(dir, "cdktf.out"), { recursive: true, force: true });
  synth();
  tf("init");
  const r = spawnSync("terraform", ["plan", "-detailed-exitcode", "-input=false", "-no-color"], { cwd: stackDir, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  expect(r.stdout).toContain("No changes.");
  expect(r.status).toBe(0);
}, 60_000);

test("scripts/state.ts: warns about local state; refuses state at the old path only; CI refuses local state", () => {
  expect(state(dir, "warn", "production").stderr).toBe(
    "warning: production uses local Terraform state (terraform.production.tfstate, on this machine only, no locking); a team needs backend.s3 (S3 with use_lockfile) in hosts/production.yaml\n",
  );
  expect(state(dir, "guard", "production").status).toBe(0);
  fs.mkdirSync(path.join(dir, "cdktf.out", "stacks", "production"), { recursive: true });
  fs.writeFileSync(path.join(dir, legacyStatePath("production")), "{}");
  const refused = state(dir, "guard", "production");
  expect(refused.status).toBe(1);
  expect(refused.stderr).toBe(
    'state: found cdktf.out/stacks/production/terraform.production.tfstate (the old place, inside cdktf.out) and no terraform.production.tfstate; move it first: mv cdktf.out/stacks/production/terraform.production.tfstate terraform.production.tfstate (README: "Moving local state")\n',
  );
  fs.writeFileSync(path.join(dir, localStatePath("production")), "{}");
  expect(state(dir, "guard", "production").status).toBe(0);
  const ci = state(dir, "ci", "production");
  expect(ci.status).toBe(1);
  expect(ci.stderr.trim().split("\n")).toHaveLength(1);
  withS3(dir);
  expect(state(dir, "ci", "production").status).toBe(0);
  expect(state(dir, "warn", "production").stderr).toBe("");
}, 30_000);

test("make apply refuses when state sits only at the old path (cdktf deploy never starts)", () => {
  fs.mkdirSync(path.join(dir, "cdktf.out", "stacks", "production"), { recursive: true });
  fs.writeFileSync(path.join(dir, legacyStatePath("production")), "{}");
  const r = spawnSync("make", ["--no-print-directory", "apply", "ENV=production"], { cwd: dir, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: "hosts" } });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("warning: production uses local Terraform state");
  expect(r.stderr).toContain("state: found cdktf.out/stacks/production/terraform.production.tfstate (the old place");
  expect(r.stdout + r.stderr).not.toContain("cdktf deploy");
}, 60_000);

describe("CI: the workflow's plan step", () => {
  const steps = parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "terraform.yml"), "utf8")).jobs.review.steps as any[];
  const planStep = steps.find((s) => typeof s.run === "string" && s.run.includes("terraform plan"));
  const runStep = (d: string) => {
    const bin = path.join(d, "fakebin");
    fs.mkdirSync(bin);
    // stand-in for terraform (no AWS here): records that it ran
    fs.writeFileSync(path.join(bin, "terraform"), `#!/bin/sh\necho "$@" >> ${path.join(d, "terraform-called")}\n[ "$1" = show ] && echo '{"format_version":"1.2","planned_values":{}}'\nexit 0\n`, { mode: 0o755 });
    fs.mkdirSync(path.join(d, "cdktf.out", "stacks", "production"), { recursive: true });
    fs.writeFileSync(path.join(d, "review.md"), "<!-- multitier-review -->\nsynth diff review\n");
    return spawnSync("bash", ["-e", "-c", planStep.run], { cwd: d, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_WORKSPACE: d, MULTITIER_ENV: "production", MULTITIER_HOSTS_DIR: "hosts" } });
  };

  test("local state: no terraform run, the job fails, the comment says why at the top", () => {
    expect(planStep.env.MULTITIER_ENV).toContain("vars.MULTITIER_ENV");
    const r = runStep(dir);
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(dir, "terraform-called"))).toBe(false);
    const md = fs.readFileSync(path.join(dir, "review.md"), "utf8");
    expect(md.split("\n").slice(0, 2)).toEqual(["> [!WARNING]", expect.stringMatching(/^> \*\*No Terraform plan:\*\* state: production keeps its Terraform state in a local file, which is empty on a CI runner/)]);
    expect(md).toContain("synth diff review");
    expect(steps.find((s) => String(s.name).startsWith("comment")).if).toContain("!cancelled()");
  }, 30_000);

  test("S3 state: terraform plans", () => {
    withS3(dir);
    runStep(dir);
    expect(fs.readFileSync(path.join(dir, "terraform-called"), "utf8")).toMatch(/^init .*\nplan .*\nshow -json plan\.tfplan\n$/);
  }, 30_000);
});
