/**
 * Stable host identities: scaling a tier 1→2→3→2 only adds or removes the expected hosts
 * (synth diff between the synthesized stacks, never a replace), fixed IPs follow the host,
 * `moved` blocks from the names a tier of two used to have, and `multitier validate`
 * refusing to remove a host with data unless `tiers.<t>.retire` names it.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { analyze } from "../../review/analyze";
import { diffStacks } from "../../review/synth-diff";
import { ROOT, synthEnv } from "./synth";

const PROD = fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8");
const CLI = path.join(ROOT, "bin", "multitier.js");

/** production.yaml with `webapp` and `database` at the given count, each host with its fixed IP (validate refuses more IPs than hosts). */
function production(count: number, extra = ""): string {
  const ips = (base: string) => [0, 1, 2].slice(0, count).map((i) => `${base}${i}`).join(", ");
  const text = PROD.replace("    privateIps: [192.168.1.100]\n", `    count: ${count}\n    privateIps: [${ips("192.168.1.10")}]\n${extra}`).replace(
    "    privateIps: [192.168.0.80]\n",
    `    count: ${count}\n    privateIps: [${ips("192.168.0.8")}]\n`,
  );
  if (text === PROD) throw new Error("production.yaml edit did not apply");
  return text;
}

function stackOf(text: string) {
  const { env, errors } = checkEnvironment(new YamlSource("hosts/production.yaml", text));
  if (!env) throw new Error(errors.map((e) => e.message).join("\n"));
  return synthEnv(env).json;
}

/** host name a resource belongs to, from its tags or (attachments) the volume it attaches */
function hostOf(stack: any, type: string, name: string): string {
  const c = stack.resource[type][name];
  if (c.tags?.Host) return c.tags.Host;
  const vol = /aws_ebs_volume\.([^.]+)\.id/.exec(c.volume_id ?? "")?.[1];
  return vol ? stack.resource.aws_ebs_volume[vol].tags.Host : "?";
}

describe("scaling webapp and database 1 → 2 → 3 → 2", () => {
  const counts = [1, 2, 3, 2];
  let stacks: any[];
  beforeAll(() => {
    stacks = counts.map((n) => stackOf(production(n)));
  });

  test.each([
    [0, "create", ["database-2", "webapp-2"]],
    [1, "create", ["database-3", "webapp-3"]],
    [2, "delete", ["database-3", "webapp-3"]],
  ] as const)("step %i: only %s of the hosts %j (instance, volumes, attachments), never a replace", (i, action, hosts) => {
    const plan = diffStacks({ production: stacks[i] }, { production: stacks[i + 1] });
    const changes = plan.resource_changes!;
    expect(changes.map((c) => c.change.actions.join(","))).toEqual(changes.map(() => action));
    const from = action === "create" ? stacks[i + 1] : stacks[i];
    const touched = [...new Set(changes.map((c) => hostOf(from, c.type, c.name!)))].sort();
    expect(touched).toEqual([...hosts]);
    // database: instance + 3 volumes + 3 attachments; webapp: instance + 2 + 2
    expect(changes.filter((c) => c.type === "aws_instance")).toHaveLength(2);
    expect(changes).toHaveLength(12);
    const a = analyze(plan);
    expect(a.counts.replace).toBe(0);
    expect(a.danger.every((d) => d.action !== "replace")).toBe(true);
  });

  test("the first host keeps its name, address and IP at every count; later hosts keep theirs", () => {
    const first = stacks.map((s) => Object.entries(s.resource.aws_instance).find(([, c]: any) => c.tags.Host === "webapp"));
    expect(new Set(first.map(([name]: any) => name)).size).toBe(1);
    expect(first.map(([, c]: any) => c.private_ip)).toEqual(["192.168.0.80", "192.168.0.80", "192.168.0.80", "192.168.0.80"]);
    const second = stacks.slice(1).map((s) => Object.entries(s.resource.aws_instance).find(([, c]: any) => c.tags.Host === "database-2") as any);
    expect(second.map(([name, c]: any) => [name, c.private_ip])).toEqual(Array(3).fill([second[0][0], "192.168.1.101"]));
  });

  test("the first host of a tier of two carries moved blocks from its old name (webapp-1), which main gave it", () => {
    const moved = stacks[1].moved as { from: string; to: string }[];
    const inst = moved.find((m) => m.from.startsWith("aws_instance.host-webapp-1_"))!;
    // the address main synthesized for webapp-1 (count 2) before names became stable
    expect(inst).toEqual({ from: "aws_instance.host-webapp-1_instance_AA0B27FE", to: "aws_instance.host-webapp_instance_DF4D50A6" });
    expect(moved.map((m) => m.from.split(".")[0]).sort()).toEqual([
      ...Array(3).fill("aws_ebs_volume"),
      ...Array(2).fill("aws_ebs_volume"),
      "aws_instance",
      "aws_instance",
      ...Array(5).fill("aws_volume_attachment"),
    ].sort());
    expect(stacks[0].moved).toBeUndefined();
  });
});

describe("validate refuses removing a host with data unless retired", () => {
  let dir: string;
  const run = (...args: string[]) => spawnSync(CLI, ["validate", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: path.join(dir, "hosts") } });
  const write = (text: string) => fs.writeFileSync(path.join(dir, "hosts", "production.yaml"), text);
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd: dir, stdio: "ignore" });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-retire-"));
    fs.mkdirSync(path.join(dir, "hosts"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("deployed hosts (outputs.json): count 3 → 2 names webapp-3 and database-3 and their data volumes, exit 1 (bad input)", () => {
    const hosts: Record<string, unknown> = {};
    for (const t of ["webapp", "database"])
      for (const n of [t, `${t}-2`, `${t}-3`]) hosts[n] = { tier: t, privateIp: "192.168.0.9", volumes: { log: { device: "/dev/sdg", mountPoint: "/log", filesystem: "ext4" } } };
    fs.writeFileSync(path.join(dir, "hosts", "production.outputs.json"), JSON.stringify({ inventory: { value: { bastion: {}, hosts }, type: "object", sensitive: false } }));
    write(production(2));
    const r = run();
    expect(r.status).toBe(1); // bad input: one meaning per exit code
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("tiers.database.count: count 2 removes host database-3 and its data volume(s) data, journal, log (known from ");
    expect(lines[1]).toContain("tiers.webapp.count: count 2 removes host webapp-3 and its data volume(s) log");
    expect(lines[1]).toMatch(/production\.yaml:\d+:\d+ /);

    write(production(2, "    retire: [database-3]\n").replace("    privateIps: [192.168.0.80, 192.168.0.81]\n", "$&    retire: [webapp-3]\n"));
    const ok = run();
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
  });

  test("committed hosts (git HEAD): shrinking the committed count is refused; a tier without data volumes is not", () => {
    git("init", "-q");
    write(production(3));
    git("add", ".");
    git("commit", "-qm", "three");
    write(production(2));
    const r = run();
    expect(r.status).toBe(1); // bad input: one meaning per exit code
    expect(r.stderr).toContain("count 2 removes host webapp-3 and its data volume(s) log (known from git HEAD)");
    // the webapp's log no longer holds data: only the database is refused
    write(production(2).replace("mountPoint: /log, filesystem: ext4, mountOptions: [defaults, noatime, noexec] }\n\n  analysis", "mountPoint: /log, filesystem: ext4, mountOptions: [defaults, noatime, noexec], holdsData: false }\n\n  analysis"));
    const r2 = run();
    expect(r2.stderr.trim().split("\n").map((l) => /tiers\.(\w+)\.count/.exec(l)?.[1])).toEqual(["database"]);
  });

  test("CI: the shrink committed on the branch is checked against the base branch (--base)", () => {
    git("init", "-q", "-b", "main");
    write(production(3));
    git("add", ".");
    git("commit", "-qm", "three");
    git("checkout", "-qb", "shrink");
    write(production(2));
    git("commit", "-qam", "two");
    expect(run().status).toBe(0); // HEAD is the change itself
    const r = run("--base", "main");
    expect(r.status).toBe(1); // bad input: one meaning per exit code
    expect(r.stderr).toContain("count 2 removes host webapp-3 and its data volume(s) log (known from git main)");
  });
});

test("retire must name a host of the tier that is no longer declared", () => {
  const bad = production(2, "    retire: [database-2, webapp-3]\n");
  const { errors } = checkEnvironment(new YamlSource("hosts/production.yaml", bad));
  expect(errors.map((e) => e.message)).toEqual([
    "hosts/production.yaml:58:14 tiers.database.retire[0]: host database-2 is still declared (count: 2); lower count to remove it, or drop it from retire",
    'hosts/production.yaml:58:26 tiers.database.retire[1]: expected a host name of tier database (database, database-2, database-3 …), got "webapp-3"',
  ]);
});
