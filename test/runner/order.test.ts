/**
 * The order of `deploy all` (playbooks/order.yml, runner/order.ts): the file's problems at
 * their file:line:col; steps and lanes from it; and, with the real agent run locally
 * (LocalConnector), services of one step running at the same time, steps one after the other,
 * services sharing a host never at once, and the old one-after-the-other order without the file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { YamlSource } from "../../config/yamlsource";
import { parseOrder, stepsOf } from "../../runner/order";
import { LocalConnector, NO_SECRETS } from "../../runner/connect";
import { run, type RunRequest } from "../../runner/run";
import { makeLocalEnv, type LocalEnv } from "./local-env";

const parse = (text: string, known = ["database", "webapp", "analysis", "notebook", "monitoring"]) =>
  parseOrder(new YamlSource("playbooks/order.yml", text), known);

describe("playbooks/order.yml", () => {
  test("a list of steps: a service, or a list of services deployed at once", () => {
    expect(parse("- database\n- [webapp, analysis, notebook]\n- monitoring\n")).toEqual({ steps: [["database"], ["webapp", "analysis", "notebook"], ["monitoring"]], errors: [] });
  });

  test("an unknown service, a service listed twice, a non-name and an empty step: each one line at its place", () => {
    const { errors } = parse("- database\n- [webap, analysis]\n- [database]\n- 3\n- []\n");
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^playbooks\/order\.yml:2:4 \[1\]\[0\]: no service "webap" \(no playbook webap\.yml\); known: .*did you mean "webapp"\?/),
      expect.stringMatching(/^playbooks\/order\.yml:3:4 \[2\]\[0\]: "database" is listed twice/),
      expect.stringMatching(/^playbooks\/order\.yml:4:3 \[3\]: expected a service name/),
      expect.stringMatching(/^playbooks\/order\.yml:5:3 \[4\]: expected a service, or a list of services/),
    ]);
  });

  test("not a list: one line", () => {
    expect(parse("database: first\n").errors.map((e) => e.message)).toEqual([expect.stringMatching(/^playbooks\/order\.yml:1:1: expected a list of steps/)]);
  });
});

describe("steps and lanes", () => {
  const hosts: Record<string, string[]> = { database: ["db-1"], webapp: ["web-1", "web-2"], analysis: ["an-1"], notebook: ["nb-1"], monitoring: ["mon-1", "bastion"], extra: ["an-1"] };
  const of = (s: string) => hosts[s];
  const order = [["database"], ["webapp", "analysis", "notebook", "extra"], ["monitoring"]];

  test("the file's steps, the run's services only; services sharing a host share a lane, in order", () => {
    expect(stepsOf(["database", "webapp", "analysis", "notebook", "monitoring", "extra"], order, of)).toEqual([
      [["database"]],
      [["webapp"], ["analysis", "extra"], ["notebook"]],
      [["monitoring"]],
    ]);
    expect(stepsOf(["webapp", "monitoring"], order, of)).toEqual([[["webapp"]], [["monitoring"]]]);
  });

  test("without the file, or for services it does not name: one at a time, in the run's order", () => {
    expect(stepsOf(["database", "webapp", "analysis"], undefined, of)).toEqual([[["database"]], [["webapp"]], [["analysis"]]]);
    expect(stepsOf(["database", "other", "webapp"], [["database"], ["webapp"]], () => [])).toEqual([[["database"]], [["webapp"]], [["other"]]]);
  });

  test("a service linking two others through their hosts puts all three in one lane", () => {
    const h: Record<string, string[]> = { a: ["x"], b: ["y"], c: ["x", "y"] };
    expect(stepsOf(["a", "b", "c"], [["a", "b", "c"]], (s) => h[s])).toEqual([[["a", "b", "c"]]]);
  });
});

describe("deploy all on local hosts (real agent, LocalConnector)", () => {
  let env: LocalEnv;
  let restore: () => void;
  const tiers = ["first", "left", "right", "last"];

  beforeAll(() => {
    env = makeLocalEnv(1);
    restore = env.activate();
    const user = os.userInfo().username;
    const yaml = fs.readFileSync(path.join(env.dir, "hosts", "local.yaml"), "utf8").replace(/tiers:[\s\S]*$/, "tiers:\n" + tiers.map((t) => `  ${t}:\n    subnet: public\n    instanceType: t3.micro\n`).join(""));
    fs.writeFileSync(path.join(env.dir, "hosts", "local.yaml"), yaml);
    const hosts = Object.fromEntries(tiers.map((t, i) => [`${t}-1`, { tier: t, privateIp: `10.213.0.${20 + i}`, user, volumes: {} }]));
    fs.writeFileSync(path.join(env.dir, "hosts", "local.outputs.json"), JSON.stringify({ inventory: { value: { bastion: { publicIp: "10.213.254.2", user: "ubuntu" }, hosts }, type: "object", sensitive: false } }));
    // each service notes when it started and ended on its host, and takes a second
    const stamp = (service: string) =>
      `shell: { cmd: "mkdir -p ${env.work}/{{host.name}} && date +%s.%N > ${env.work}/{{host.name}}/${service}.start && sleep 1 && date +%s.%N > ${env.work}/{{host.name}}/${service}.end" }`;
    for (const t of tiers) env.writePlaybook(t, `- name: ${t}\n  hosts: ${t}\n  become: false\n  tasks:\n    - name: stamp\n      ${stamp(t)}\n`);
    // a second service on the left tier's host: never at the same time as `left`
    env.writePlaybook("sidecar", `- name: sidecar\n  hosts: left\n  become: false\n  tasks:\n    - name: stamp\n      ${stamp("sidecar")}\n`);
  });
  afterAll(() => {
    restore();
    env.cleanup();
  });

  async function deployAll(): Promise<number> {
    fs.rmSync(env.work, { recursive: true, force: true });
    fs.mkdirSync(env.work);
    const req: RunRequest = { env: "local", command: "deploy", services: ["all"], check: false, diff: false, tags: [], skipTags: [], forks: 10, json: true, acceptNewHostKeys: false };
    const r = await run(req, { connector: async () => new LocalConnector(), secrets: () => ({ vault: {}, filter: NO_SECRETS }), reporter: { emit: () => undefined } });
    return r.code;
  }
  const span = (service: string, tier = service) => {
    const read = (end: string) => Number(fs.readFileSync(path.join(env.work, `${tier}-1`, `${service}.${end}`), "utf8"));
    return { start: read("start"), end: read("end") };
  };
  const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

  test("the services of a step run at once; the next step waits for all of them", async () => {
    fs.writeFileSync(path.join(env.dir, "playbooks", "order.yml"), "- first\n- [left, right, sidecar]\n- last\n");
    expect(await deployAll()).toBe(0);
    const [first, left, right, sidecar, last] = [span("first"), span("left"), span("right"), span("sidecar", "left"), span("last")];
    expect(overlap(left, right)).toBe(true);
    // same host as `left`: after it, not beside it
    expect(sidecar.start).toBeGreaterThanOrEqual(left.end);
    for (const s of [left, right, sidecar]) expect(s.start).toBeGreaterThanOrEqual(first.end);
    expect(last.start).toBeGreaterThanOrEqual(Math.max(left.end, right.end, sidecar.end));
  });

  test("without order.yml: one service after the other, in the tiers' order", async () => {
    fs.rmSync(path.join(env.dir, "playbooks", "order.yml"));
    expect(await deployAll()).toBe(0);
    const order = ["first", "left", "right", "last"].map((s) => span(s));
    for (let i = 1; i < order.length; i++) expect(order[i].start).toBeGreaterThanOrEqual(order[i - 1].end);
  });

  test("a bad order.yml: one line at its place, nothing run", async () => {
    fs.writeFileSync(path.join(env.dir, "playbooks", "order.yml"), "- first\n- [lefty]\n");
    await expect(deployAll()).rejects.toThrow(/order\.yml:2:4 \[1\]\[0\]: no service "lefty"/);
    expect(fs.readdirSync(env.work)).toEqual([]);
  });
});
