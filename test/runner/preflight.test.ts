/**
 * Before connecting (runner/preflight.ts): the shipped playbooks against an environment —
 * every template compiled and every variable it names checked against what the play will
 * provide, plays whose `hosts:` match nothing, `deploy <tier>` for a tier the environment does
 * not have. Nothing here needs a host: each refusal is asserted as its exact one line.
 */
import { switchedOff } from "../../runner/template-vars";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Environment } from "../../config/environment";
import { checkEnvironment, listEnvironmentFiles, loadEnvironmentFile } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { listServices } from "../../runner/playbook";
import { preflight } from "../../runner/preflight";

const ROOT = path.join(__dirname, "..", "..");
const staging = fs.readFileSync(path.join(ROOT, "hosts", "staging.yaml"), "utf8");
const envFrom = (text: string): Environment => {
  const { env, errors } = checkEnvironment(new YamlSource("hosts/staging.yaml", text));
  if (!env) throw new Error(errors.map((e) => e.message).join("\n"));
  return env;
};
const withoutVars = staging.slice(0, staging.indexOf("# Variables the playbooks")) + staging.slice(staging.indexOf("tiers:"));
const noNotebookPeer = staging.replace("from: [webapp, analysis, notebook]", "from: [webapp, analysis]");
const withoutNotebook = noNotebookPeer.slice(0, noNotebookPeer.indexOf("  notebook:\n")); // the last tier

let cwd: string;
let tmp: string;
beforeAll(() => {
  cwd = process.cwd();
  process.chdir(ROOT); // playbooks/ and templates/ as the CLI sees them
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-preflight-"));
});
afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(tmp, { recursive: true, force: true });
  delete process.env.MULTITIER_TEMPLATES_DIR;
  delete process.env.MULTITIER_PLAYBOOKS_DIR;
});

describe("preflight of the shipped playbooks", () => {
  test.each(listEnvironmentFiles(path.join(ROOT, "hosts")).map((f) => [path.basename(f), f]))("%s: nothing to refuse", (_n, file) => {
    expect(preflight(loadEnvironmentFile(file), listServices(), false).map((e) => e.message)).toEqual([]);
  });

  test("an environment without vars: each missing variable once, where a playbook or template first uses it", () => {
    expect(preflight(envFrom(withoutVars), listServices(), false).map((e) => e.message)).toEqual([
      'playbooks/_supervised.yml:3:3 [0].vars.program.user: expected variable "prometheus" under vars: in hosts/staging.yaml (tier database uses it here), got nothing',
      'playbooks/analysis.yml:5:3 [0].vars.app_user: expected variable "emission" under vars: in hosts/staging.yaml (tier analysis uses it here), got nothing',
      // the stand-in tasks' switch (`when: standins`) is off without it: the first use that needs it is !standins
      'playbooks/database.yml:12:7 [0].tasks[2].when: expected variable "standins" under vars: in hosts/staging.yaml (tier database uses it here), got nothing',
      'playbooks/notebook.yml:3:3 [0].vars.app_user: expected variable "jupyter" under vars: in hosts/staging.yaml (tier notebook uses it here), got nothing',
      'templates/db.conf.hbs:3:43 mongodb.users: expected variable "mongodb" under vars: in hosts/staging.yaml (tier analysis uses it here), got nothing',
      'templates/nginx-emission.conf.hbs:7:19 tls.serverName: expected variable "tls" under vars: in hosts/staging.yaml (tier webapp uses it here), got nothing',
    ]);
  });

  test("a nested variable missing from an environment's vars is named in full", () => {
    const env = envFrom(staging.replace("    dbName: Stage_database\n", ""));
    expect(preflight(env, ["webapp"], true).map((e) => e.message)).toEqual([
      'templates/db.conf.hbs:3:166 emission.dbName: expected variable "emission.dbName" under vars: in hosts/staging.yaml (tier webapp uses it here), got nothing',
    ]);
  });
});

describe("templates compiled before connecting", () => {
  const templates = () => path.join(tmp, "templates");
  beforeEach(() => {
    fs.rmSync(templates(), { recursive: true, force: true });
    fs.cpSync(path.join(ROOT, "templates"), templates(), { recursive: true });
    process.env.MULTITIER_TEMPLATES_DIR = templates();
  });
  afterEach(() => delete process.env.MULTITIER_TEMPLATES_DIR);
  const lines = (service: string) => preflight(envFrom(staging), [service], true).map((e) => e.message.replace(tmp + "/", ""));

  test("a syntax error", () => {
    fs.appendFileSync(path.join(templates(), "log.conf.hbs"), "{{#if host.name}}never closed\n");
    const n = fs.readFileSync(path.join(templates(), "log.conf.hbs"), "utf8").split("\n").length;
    expect(lines("analysis")).toEqual([`templates/log.conf.hbs:${n}:1: template error: Parse error on line ${n}: Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'`]);
  });

  test("a variable no play provides", () => {
    fs.writeFileSync(path.join(templates(), "push.json.hbs"), '{ "port": {{emission.webPort}}, "x": "{{emission.webport}}" }\n');
    expect(lines("webapp")).toEqual(['templates/push.json.hbs:1:41 emission.webport: expected variable "emission.webport" under vars: in hosts/staging.yaml (tier webapp uses it here), got nothing']);
  });

  test("a volume the tier does not have", () => {
    fs.writeFileSync(path.join(templates(), "push.json.hbs"), "{{host.volumes.data.mountPoint}}\n");
    expect(lines("webapp")).toEqual(["templates/push.json.hbs:1:3 host.volumes.data.mountPoint: expected host.volumes.data to exist for tier webapp of hosts/staging.yaml, got nothing"]);
  });

  test("an unknown helper", () => {
    fs.writeFileSync(path.join(templates(), "push.json.hbs"), "{{shout emission.user}}\n");
    expect(lines("webapp")).toEqual([expect.stringMatching(/^templates\/push\.json\.hbs:1:3 shout: expected a helper \(.*\bjoin\b.*\), got "shout"$/)]);
  });

  test("a guarded optional variable is accepted ({{#if (lookup program \"environment\")}})", () => {
    expect(lines("webapp")).toEqual([]);
  });
});

describe("a task switched off by a variable the environment does not define", () => {
  test("a bare variable in when's top-level && is the switch; || or a comparison is not", () => {
    const facts = { facts: { pkgManager: "apt" } };
    expect(switchedOff("aptProxy && facts.pkgManager == 'apt'", facts)).toBe(true);
    expect(switchedOff("aptProxy && facts.pkgManager == 'apt'", { ...facts, aptProxy: "http://10.0.0.1:3142" })).toBe(false);
    expect(switchedOff("x && tls.serverName", { x: 1, tls: {} })).toBe(true);
    expect(switchedOff("aptProxy || facts.pkgManager == 'apt'", facts)).toBe(false);
    expect(switchedOff("aptProxy == 'x'", facts)).toBe(false);
  });
});

describe("plays and tiers that match nothing", () => {
  test("a play whose hosts: matches no tier or host", () => {
    const dir = path.join(tmp, "playbooks");
    fs.cpSync(path.join(ROOT, "playbooks"), dir, { recursive: true });
    const book = path.join(dir, "webapp.yml");
    fs.writeFileSync(book, fs.readFileSync(book, "utf8").replace("- name: restart (make restart-webapp)\n  hosts: webapp", "- name: restart (make restart-webapp)\n  hosts: webap"));
    process.env.MULTITIER_PLAYBOOKS_DIR = dir;
    try {
      expect(preflight(envFrom(staging), ["webapp"], true).map((e) => e.message.replace(tmp + "/", ""))).toEqual([
        'playbooks/webapp.yml:81:3 [1].hosts: expected a tier or host of hosts/staging.yaml (tiers: database, webapp, analysis, notebook), got "webap": this play would run nowhere',
      ]);
    } finally {
      delete process.env.MULTITIER_PLAYBOOKS_DIR;
    }
  });

  test("deploy <tier> for a tier the environment does not have: one line, exit 1, nothing attempted (real CLI)", () => {
    const hosts = path.join(tmp, "hosts");
    fs.mkdirSync(hosts, { recursive: true });
    fs.writeFileSync(path.join(hosts, "staging.yaml"), withoutNotebook);
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "multitier.js"), "deploy", "notebook", "--env", "staging"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: hosts } });
    expect(r.stderr).toBe('argument service: environment staging has no tier or host for "notebook" (playbooks/notebook.yml targets hosts: notebook); its tiers: database, webapp, analysis\n');
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
  });
});

describe("multitier validate checks the playbooks against each environment (real CLI)", () => {
  test("an environment without vars: exit 1 (bad input) and the missing variables, one line each", () => {
    const hosts = path.join(tmp, "hosts-novars");
    fs.mkdirSync(hosts, { recursive: true });
    fs.writeFileSync(path.join(hosts, "staging.yaml"), withoutVars);
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "multitier.js"), "validate", "--no-terraform"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, MULTITIER_HOSTS_DIR: hosts } });
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines[1]).toBe(`playbooks/analysis.yml:5:3 [0].vars.app_user: expected variable "emission" under vars: in ${hosts}/staging.yaml (tier analysis uses it here), got nothing`);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
  });
});
