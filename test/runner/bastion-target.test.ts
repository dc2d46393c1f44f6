/**
 * The bastion as a target (issue 18: its node exporter): a play that names `bastion` reaches
 * it — dialed at its private address from the outputs — while `all`, globs and the tiers never
 * do, and --limit can leave it out. Runs the real agent locally (LocalConnector), like the
 * executor tests, in a temp dir.
 */
import * as fs from "fs";
import * as path from "path";
import type { RunEvent } from "../../runner/events";
import { LocalConnector, NO_SECRETS } from "../../runner/connect";
import { loadEnvironment } from "../../config/load";
import { loadInventory } from "../../runner/inventory";
import { run, type RunRequest } from "../../runner/run";
import { makeLocalEnv, type LocalEnv } from "./local-env";

let env: LocalEnv;
let restore: () => void;

beforeAll(() => {
  env = makeLocalEnv(1);
  restore = env.activate();
  // the outputs now give the bastion's private address, as the stack and the lab do
  const outputs = path.join(env.dir, "hosts", "local.outputs.json");
  const json = JSON.parse(fs.readFileSync(outputs, "utf8"));
  json.inventory.value.bastion.privateIp = "10.213.0.5";
  fs.writeFileSync(outputs, JSON.stringify(json));
  fs.mkdirSync(path.join(env.work, "bastion"));
  const write = (what: string) => `copy: { content: "${what} on {{host.name}} ({{tier.name}}, {{host.privateIp}})\\n", dest: "${env.work}/{{host.name}}/${what}.txt" }`;
  env.writePlaybook("common", `- name: base\n  hosts: all\n  become: false\n  tasks:\n    - name: common\n      ${write("common")}\n`);
  env.writePlaybook("svc", `- name: tier\n  hosts: app\n  become: false\n  tasks:\n    - name: app\n      ${write("app")}\n- name: everything by glob\n  hosts: "*"\n  become: false\n  tasks:\n    - name: glob\n      ${write("glob")}\n- name: bastion\n  hosts: bastion\n  become: false\n  tasks:\n    - name: named\n      ${write("named")}\n`);
  env.writePlaybook("plain", `- name: tier only\n  hosts: all\n  become: false\n  tasks:\n    - name: plain\n      ${write("plain")}\n`);
});
afterAll(() => {
  restore();
  env.cleanup();
});

async function deploy(services: string[], limit?: string) {
  const events: RunEvent[] = [];
  const req: RunRequest = { env: "local", command: "deploy", services, check: false, diff: false, limit, tags: [], skipTags: [], forks: 4, json: true, acceptNewHostKeys: false };
  const r = await run(req, { connector: async () => new LocalConnector(), secrets: () => ({ vault: {}, filter: NO_SECRETS }), reporter: { emit: (e) => events.push(e) } });
  const recap = events.find((e) => e.event === "recap") as Extract<RunEvent, { event: "recap" }>;
  return { code: r.code, hosts: Object.keys(recap.hosts).sort() };
}
const files = (host: string) => fs.readdirSync(path.join(env.work, host)).sort();

test("the inventory holds the bastion apart from the tier hosts, at its private address", () => {
  const inv = loadInventory(loadEnvironment("local"));
  expect(inv.hosts.map((h) => h.name)).toEqual(["app-1"]);
  expect(inv.bastionHost).toMatchObject({ name: "bastion", tier: "bastion", address: "10.213.0.5", privateIp: "10.213.0.5" });
});

test("a service without a play naming the bastion never touches it", async () => {
  const r = await deploy(["plain"]);
  expect(r).toEqual({ code: 0, hosts: ["app-1"] });
  expect(files("bastion")).toEqual([]);
});

test("a play naming the bastion reaches it; `all` (common.yml) and globs do not", async () => {
  const r = await deploy(["svc"]);
  expect(r).toEqual({ code: 0, hosts: ["app-1", "bastion"] });
  expect(files("bastion")).toEqual(["named.txt"]);
  expect(fs.readFileSync(path.join(env.work, "bastion", "named.txt"), "utf8")).toBe("named on bastion (bastion, 10.213.0.5)\n");
  expect(files("app-1")).toEqual(["app.txt", "common.txt", "glob.txt", "plain.txt"]);
});

test("--limit leaves the bastion out unless it names it", async () => {
  fs.rmSync(path.join(env.work, "bastion", "named.txt"));
  expect(await deploy(["svc"], "app-1")).toEqual({ code: 0, hosts: ["app-1"] });
  expect(files("bastion")).toEqual([]);
  expect(await deploy(["svc"], "bastion")).toEqual({ code: 0, hosts: ["bastion"] });
  expect(files("bastion")).toEqual(["named.txt"]);
});
