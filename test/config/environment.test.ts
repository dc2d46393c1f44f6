import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnvironment, listEnvironmentFiles, loadEnvironmentFile } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { badCases } from "./cases";

const ROOT = path.join(__dirname, "..", "..");
// the frozen copy without its first comment line, so positions match the real file's layout
const base = fs.readFileSync(path.join(__dirname, "fixtures", "production.yaml"), "utf8").split("\n").slice(1).join("\n");

function edited(edits: [string | RegExp, string][]): string {
  let text = base;
  for (const [from, to] of edits) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`edit did not apply: ${String(from)}`);
    text = next;
  }
  return text;
}

describe("environment files", () => {
  test("the fixture is valid before any edit", () => {
    expect(checkEnvironment(new YamlSource("hosts/production.yaml", base)).errors).toEqual([]);
  });

  test.each(listEnvironmentFiles(path.join(ROOT, "hosts")).map((f) => [path.basename(f), f]))("shipped %s is valid", (_n, file) => {
    const env = loadEnvironmentFile(file);
    expect(env.hosts.length).toBeGreaterThan(0);
  });

  test("production reproduces the reference layout (4 tiers + monitoring, fixed IPs, 10 volumes)", () => {
    const env = loadEnvironmentFile(path.join(ROOT, "hosts", "production.yaml"));
    expect(Object.keys(env.tiers)).toEqual(["database", "webapp", "analysis", "notebook", "monitoring"]);
    expect(env.hosts.map((h) => [h.name, h.privateIp])).toEqual([
      ["database", "192.168.1.100"],
      ["webapp", "192.168.0.80"],
      ["analysis", "192.168.0.237"],
      ["notebook", "192.168.0.120"],
      ["monitoring", "192.168.1.50"],
    ]);
    expect(env.hosts.flatMap((h) => h.volumes).length).toBe(10);
    expect(env.tiers.database.volumes.map((v) => [v.name, v.sizeGb, v.type, v.filesystem])).toEqual([
      ["data", 3072, "io2", "xfs"],
      ["journal", 25, "io2", "xfs"],
      ["log", 10, "io2", "xfs"],
    ]);
  });

  test.each(badCases.map((c) => [c.name, c]))("rejects %s with one exact line", (_n, c) => {
    const { env, errors } = checkEnvironment(new YamlSource("hosts/production.yaml", edited(c.edits)));
    expect(env).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(Array.isArray(c.error) ? c.error : [c.error]);
  });

  test("defaults fill what the file leaves out", () => {
    const env = loadEnvironmentFile(path.join(ROOT, "hosts", "staging.yaml"));
    const code = env.tiers.webapp.volumes[0];
    expect(code).toMatchObject({ type: "gp3", filesystem: "ext4", encryption: "luks", holdsData: false });
    expect(env.sshUser).toBe("ubuntu");
    expect(env.snapshots).toEqual({ enabled: true, time: "03:00", retainDays: 3 });
  });
});

describe("multitier validate (real CLI)", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-validate-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a bad file: one line on stderr, exit 1 (bad input), no stack trace", () => {
    const hosts = path.join(dir, "hosts");
    fs.mkdirSync(hosts, { recursive: true });
    fs.writeFileSync(path.join(hosts, "production.yaml"), edited(badCases[0].edits));
    const r = spawnSync(path.join(ROOT, "bin", "multitier.js"), ["validate", "--no-terraform"], { cwd: dir, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: "hosts" } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([badCases[0].error]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("the shipped files pass", () => {
    const out = execFileSync(path.join(ROOT, "bin", "multitier.js"), ["validate", "--no-terraform"], { cwd: ROOT, encoding: "utf8" });
    expect(out).toMatch(/hosts\/production\.yaml: ok/);
    expect(out).toMatch(/hosts\/staging\.yaml: ok/);
  });
});
