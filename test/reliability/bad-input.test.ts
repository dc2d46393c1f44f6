/**
 * The bad-input corpus: environment files, playbooks, templates, vault files, Terraform
 * outputs and CLI arguments, each broken one way. Every case: a non-zero exit, one line
 * naming file:line (or the argument) and what was expected, no stack trace, and no change on
 * any lab host (checksums of every managed file before and after).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Vault } from "ansible-vault";
import { writeVault } from "../../runner/secrets/vault";
import { isRoot, ROOT, startLab, type Lab } from "../lab/harness";

const maybe = isRoot ? describe : describe.skip;
const FIX = path.join(__dirname, "fixtures");

interface Dirs {
  hosts: string;
  playbooks: string;
  templates: string;
  keys: string;
}

interface Case {
  name: string;
  mutate?: (d: Dirs) => void;
  args?: string[];
  /** run `make -s <target> ENV=lab` instead of the CLI (make adds its own "make: ***" line) */
  make?: string;
  /** the one line (stderr, or the failed task's line on stdout) */
  expect: RegExp;
  where?: "stderr" | "stdout";
}

const edit = (file: string, from: string | RegExp, to: string) => {
  const t = fs.readFileSync(file, "utf8");
  const n = t.replace(from, to);
  if (n === t) throw new Error(`edit did not apply to ${file}: ${String(from)}`);
  fs.writeFileSync(file, n);
};
const env = (d: Dirs) => path.join(d.hosts, "lab.yaml");
const pb = (d: Dirs) => path.join(d.playbooks, "faults.yml");
const outputs = (d: Dirs) => path.join(d.hosts, "lab.outputs.json");
const jsonEdit = (file: string, fn: (o: any) => void) => {
  const o = JSON.parse(fs.readFileSync(file, "utf8"));
  fn(o);
  fs.writeFileSync(file, JSON.stringify(o));
};

const CASES: Case[] = [
  // environment files
  { name: "env: YAML syntax error", mutate: (d) => edit(env(d), "  vpcCidr: 10.213.0.0/16", "  vpcCidr: [10.213.0.0/16"), expect: /^.*lab\.yaml:\d+:\d+: invalid YAML: / },
  { name: "env: unknown key with a suggestion", mutate: (d) => edit(env(d), "operatorCidrs:", "operatorCidr:"), expect: /lab\.yaml:\d+:1 operatorCidr: unknown key; did you mean "operatorCidrs"\?$/ },
  { name: "env: wrong type", mutate: (d) => edit(env(d), "sizeGb: 1, device: /dev/sdf, mountPoint: /data", 'sizeGb: "big", device: /dev/sdf, mountPoint: /data'), expect: /lab\.yaml:\d+:\d+ tiers\.database\.volumes\[0\]\.sizeGb: expected a positive integer, got "big"$/ },
  { name: "env: invalid CIDR", mutate: (d) => edit(env(d), "vpcCidr: 10.213.0.0/16", "vpcCidr: 10.213.0.0/99"), expect: /lab\.yaml:\d+:\d+ network\.vpcCidr: expected a CIDR block/ },
  { name: "env: subnet outside the VPC", mutate: (d) => edit(env(d), "privateSubnets: [10.213.1.0/24]", "privateSubnets: [10.99.1.0/24]"), expect: /network\.privateSubnets\[0\]: subnet 10\.99\.1\.0\/24 is outside the VPC 10\.213\.0\.0\/16$/ },
  { name: "env: duplicate tier", mutate: (d) => edit(env(d), "  analysis:\n", "  webapp:\n"), expect: /lab\.yaml:\d+:3: duplicate key \(each name may appear once\)$/ },
  { name: "env: unknown tier in a rule", mutate: (d) => edit(env(d), "from: [webapp, analysis, notebook]", "from: [webap, analysis, notebook]"), expect: /serves\[0\]\.from\[0\]: expected a tier name, "operators" or a CIDR block, got "webap"; did you mean "webapp"\?$/ },
  { name: "env: private tier serving the world", mutate: (d) => edit(env(d), "from: [webapp, analysis, notebook]", "from: [0.0.0.0/0]"), expect: /tier "database" is in the private subnet and cannot serve the public address range 0\.0\.0\.0\/0/ },
  { name: "env: duplicate device on one host", mutate: (d) => edit(env(d), "device: /dev/sdg, mountPoint: /journal", "device: /dev/sdf, mountPoint: /journal"), expect: /tiers\.database\.volumes\[1\]\.device: device name "\/dev\/sdf" is already used by volumes\[0\]$/ },
  { name: "env: missing instance type", mutate: (d) => edit(env(d), /  webapp:\n    subnet: public\n    instanceType: lab\n/, "  webapp:\n    subnet: public\n"), expect: /tiers\.webapp\.instanceType: expected an instance type such as m6i\.xlarge, got nothing$/ },
  { name: "env: unknown environment", args: ["deploy", "faults", "--env", "labb"], expect: /^argument --env: no environment "labb" .*did you mean "lab"\?$/ },
  // playbooks
  { name: "playbook: YAML syntax error", mutate: (d) => edit(pb(d), "  hosts: all", "  hosts: [all"), expect: /faults\.yml:\d+:\d+: invalid YAML: / },
  { name: "playbook: not a list of plays", mutate: (d) => fs.writeFileSync(pb(d), "name: x\n"), expect: /faults\.yml:1:1: expected a list of plays$/ },
  { name: "playbook: unknown play key", mutate: (d) => edit(pb(d), "  hosts: all", "  hosts: all\n  hostz: x"), expect: /faults\.yml:\d+:3 \[0\]\.hostz: unknown play key; did you mean "hosts"\?$/ },
  { name: "playbook: unknown module", mutate: (d) => edit(pb(d), "      copy: { content: \"small", "      cpy: { content: \"small"), expect: /faults\.yml:\d+:7 \[0\]\.tasks\[1\]\.cpy: unknown module or task key; did you mean "copy"\?$/ },
  { name: "playbook: two modules in one task", mutate: (d) => edit(pb(d), "      file: { path: /srv/f, state: directory, mode: \"0755\" }", "      file: { path: /srv/f, state: directory }\n      copy: { content: x, dest: /x }"), expect: /\[0\]\.tasks\[0\]\.copy: expected one module per task, got file and copy$/ },
  { name: "playbook: bad module argument", mutate: (d) => edit(pb(d), 'mode: "0755"', 'mode: "999"'), expect: /\[0\]\.tasks\[0\]\.file\.mode: expected an octal mode such as "0644"$/ },
  { name: "playbook: unknown module argument", mutate: (d) => edit(pb(d), "state: directory,", "state: directory, owner_name: x,"), expect: /faults\.yml:\d+:\d+ \[0\]\.tasks\[0\]\.file\.owner_name: unknown argument of file; did you mean "owner"\?$/ },
  { name: "playbook: task without a name", mutate: (d) => edit(pb(d), "    - name: directory\n      file:", "    - file:"), expect: /\[0\]\.tasks\[0\]\.name: expected a task name, got nothing$/ },
  { name: "playbook: notify an unknown handler", mutate: (d) => edit(pb(d), "      copy: { content: \"last", "      notify: nobody\n      copy: { content: \"last"), expect: /\[0\]\.tasks\[4\]\.notify: no handler named "nobody" in this play$/ },
  { name: "playbook: bad when expression", mutate: (d) => edit(pb(d), "      copy: { content: \"last", "      when: \"host.name ==\"\n      copy: { content: \"last"), expect: /\[0\]\.tasks\[4\]\.when: expected an expression such as / },
  { name: "playbook: import of a missing file", mutate: (d) => edit(pb(d), "  tasks:\n", "  tasks:\n    - import_tasks: _nothing.yml\n"), expect: /\[0\]\.tasks\[0\]\.import_tasks: .*_nothing\.yml not found$/ },
  { name: "playbook: invalid cron schedule", mutate: (d) => edit(pb(d), "  tasks:\n", "  tasks:\n    - name: cron\n      cron: { user: root, name: x, jobs: [{ name: j, schedule: \"61 * * * *\", job: \"true\" }] }\n"), expect: /faults\.yml:\d+:\d+ \[0\]\.tasks\[0\]\.cron\.jobs\[0\]\.schedule: expected a cron schedule \(5 fields such as "\*\/10 \* \* \* \*", or @daily, @hourly, @reboot …\), got "61 \* \* \* \*"$/ },
  { name: "playbook: command with shell syntax", mutate: (d) => edit(pb(d), "  tasks:\n", "  tasks:\n    - name: c\n      command: { cmd: \"echo hi > /tmp/x\" }\n"), expect: /\[0\]\.tasks\[0\]\.command\.cmd: shell syntax in a command .*use the shell module$/ },
  // make itself refuses a target that names no playbooks/<service>.yml (nothing is run)
  { name: "CLI: unknown service (make deploy-x)", make: "deploy-x", expect: /^Makefile:\d+: \*\*\* "x" is not a service: expected one of analysis database .*webapp\.\s+Stop\.$/ },
  // templates
  { name: "template: missing file", mutate: (d) => edit(pb(d), "src: big.hbs", "src: nope.hbs"), expect: /faults\.yml:\d+:\d+ \[0\]\.tasks\[2\]\.template\.src: template .*nope\.hbs not found$/ },
  // found before connecting (runner/preflight.ts): one line on stderr, nothing sent to any host
  { name: "template: undefined variable (found before connecting)", mutate: (d) => fs.appendFileSync(path.join(d.templates, "big.hbs"), "{{nothing.here}}\n"), expect: /big\.hbs:\d+:3 nothing\.here: expected variable "nothing" under vars: in .*lab\.yaml \(tier \w+ uses it here\), got nothing$/, args: ["deploy", "faults", "--env", "lab", "--limit", "webapp"] },
  { name: "template: syntax error (found before connecting)", mutate: (d) => fs.writeFileSync(path.join(d.templates, "big.hbs"), "{{#if host.name}}unclosed\n"), expect: /big\.hbs:2:1: template error: Parse error on line 2: Expecting .*got 'EOF'$/, args: ["deploy", "faults", "--env", "lab", "--limit", "webapp"] },
  { name: "template: unknown helper (found before connecting)", mutate: (d) => fs.writeFileSync(path.join(d.templates, "big.hbs"), "{{shout host.name}}\n"), expect: /big\.hbs:1:3 shout: expected a helper \(.*\), got "shout"$/, args: ["deploy", "faults", "--env", "lab", "--limit", "webapp"] },
  { name: "template: bindIp with a space refused by validate", mutate: (d) => { fs.writeFileSync(path.join(d.templates, "big.hbs"), "net:\n  bindIp: 127.0.0.1, {{host.privateIp}}\n"); edit(pb(d), "template: { src: big.hbs, dest: /srv/f/big.txt }", "template: { src: big.hbs, dest: /srv/f/big.txt, validate: \"! grep -q 'bindIp:.*, ' %s\" }"); }, expect: /failed\s+big template — .*validate failed/, where: "stdout", args: ["deploy", "faults", "--env", "lab", "--limit", "webapp"] },
  // vault
  { name: "vault: wrong password", mutate: (d) => { writeVault(path.join(d.hosts, "lab.vault.yml"), "a: bbbbbbbb\n", "right-password"); fs.writeFileSync(path.join(d.keys, "vault-key.lab"), "wrong-password\n", { mode: 0o600 }); }, expect: /lab\.vault\.yml: wrong vault password \(integrity check failed\)$/ },
  { name: "vault: missing key file", mutate: (d) => writeVault(path.join(d.hosts, "lab.vault.yml"), "a: bbbbbbbb\n", "right-password"), expect: /vault-key\.lab: vault password file not found; create it \(mode 0600\) or set MULTITIER_VAULT_PASSWORD$/ },
  { name: "vault: key file readable by others", mutate: (d) => { writeVault(path.join(d.hosts, "lab.vault.yml"), "a: bbbbbbbb\n", "right-password"); fs.writeFileSync(path.join(d.keys, "vault-key.lab"), "right-password\n", { mode: 0o644 }); fs.chmodSync(path.join(d.keys, "vault-key.lab"), 0o644); }, expect: /vault-key\.lab: vault password file is readable by others \(mode 0644\); run: chmod 600 / },
  { name: "vault: not a vault file", mutate: (d) => { fs.writeFileSync(path.join(d.hosts, "lab.vault.yml"), "a: plain\n"); fs.writeFileSync(path.join(d.keys, "vault-key.lab"), "pw\n", { mode: 0o600 }); }, expect: /lab\.vault\.yml:1:1: expected an Ansible Vault file/ },
  { name: "vault: corrupted", mutate: (d) => { writeVault(path.join(d.hosts, "lab.vault.yml"), "a: bbbbbbbb\n", "pw"); edit(path.join(d.hosts, "lab.vault.yml"), /\n[0-9a-f]{20}/, "\nzzzzzzzzzzzzzzzzzzzz"); fs.writeFileSync(path.join(d.keys, "vault-key.lab"), "pw\n", { mode: 0o600 }); }, expect: /lab\.vault\.yml: (wrong vault password|cannot decrypt)/ },
  { name: "vault: decrypted text is not a mapping", mutate: (d) => { fs.writeFileSync(path.join(d.hosts, "lab.vault.yml"), new Vault({ password: "pw" }).encryptSync("- just\n- a list\n", "") + "\n"); /* encrypted by another tool: writeVault refuses a list */ fs.writeFileSync(path.join(d.keys, "vault-key.lab"), "pw\n", { mode: 0o600 }); }, expect: /lab\.vault\.yml.*expected a mapping/ },
  // Terraform outputs
  { name: "outputs: missing file", mutate: (d) => fs.rmSync(outputs(d)), expect: /lab\.outputs\.json: outputs file not found; run `make inventory ENV=<env>`/ },
  { name: "outputs: empty file", mutate: (d) => fs.writeFileSync(outputs(d), ""), expect: /lab\.outputs\.json: outputs file is empty; / },
  { name: "outputs: truncated JSON", mutate: (d) => fs.writeFileSync(outputs(d), fs.readFileSync(outputs(d), "utf8").slice(0, 100)), expect: /lab\.outputs\.json:\d+:\d+: expected the JSON of `terraform output -json`, got invalid JSON/ },
  { name: "outputs: no inventory output", mutate: (d) => fs.writeFileSync(outputs(d), '{"bastion_public_ip": {"value": "x", "type": "string"}}'), expect: /lab\.outputs\.json inventory: expected an "inventory" output, got none; / },
  { name: "outputs: a host of an unknown tier", mutate: (d) => jsonEdit(outputs(d), (o) => (o.inventory.value.hosts.webapp.tier = "webapps")), expect: /lab\.outputs\.json:\d+:\d+ inventory\.hosts\.webapp\.tier: tier "webapps" is not in .*lab\.yaml; did you mean "webapp"\?$/ },
  { name: "outputs: a host without an address", mutate: (d) => jsonEdit(outputs(d), (o) => delete o.inventory.value.hosts.notebook.privateIp), expect: /lab\.outputs\.json:\d+:\d+ inventory\.hosts\.notebook\.privateIp: required; / },
  { name: "outputs: an address with a space (it would end up in mongod's bindIp)", mutate: (d) => jsonEdit(outputs(d), (o) => (o.inventory.value.hosts.database.privateIp += ", 10.213.1.99")), expect: /lab\.outputs\.json:\d+:\d+ inventory\.hosts\.database\.privateIp: expected one IPv4 address; / },
  { name: "outputs: two volumes of a host resolve to the same disk", mutate: (d) => jsonEdit(outputs(d), (o) => (o.inventory.value.hosts.database.volumes.log.volumeId = o.inventory.value.hosts.database.volumes.data.volumeId)), expect: /lab\.outputs\.json:\d+:\d+ inventory\.hosts\.database\.volumes\.log: volumes data and log have the same volume id vol-[0-9a-f]+; expected one disk per volume; / },
  // CLI arguments
  { name: "CLI: unknown command", args: ["deploi"], expect: /^error: unknown command 'deploi'/ },
  { name: "CLI: unknown option", args: ["deploy", "faults", "--env", "lab", "--chek"], expect: /^error: unknown option '--chek'/ },
  { name: "CLI: --forks 0", args: ["deploy", "faults", "--env", "lab", "--forks", "0"], expect: /^multitier: --forks: expected a positive integer, got "0"$/ },
  { name: "CLI: --limit that matches nothing", args: ["deploy", "faults", "--env", "lab", "--limit", "db*"], expect: /^argument --limit: "db\*" matches no tier or host/ },
  { name: "CLI: --env without a value", args: ["deploy", "faults", "--env"], expect: /^error: option '--env <env>' argument missing/ },
  { name: "CLI: review of a missing file", args: ["review", "/nonexistent/plan.json"], expect: /^review: \/nonexistent\/plan\.json: cannot read the file$/ },
];

maybe("bad input changes nothing (lab)", () => {
  let lab: Lab;
  let before: string;
  const sums = () => ["database", "webapp", "analysis", "notebook"].map((h) => lab.checksums(h, "/srv /etc/motd /etc/hosts")).join("\n");
  beforeAll(async () => {
    lab = await startLab("rb", { playbooks: path.join(FIX, "playbooks"), templates: path.join(FIX, "templates") });
    const r = spawnSync(path.join(ROOT, "bin", "multitier.js"), ["deploy", "faults", "--env", "lab"], { cwd: ROOT, env: lab.env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stdout + r.stderr);
    before = sums();
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
  });

  test("the corpus has at least 40 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  test.each(CASES.map((c) => [c.name, c]))("%s", (_n, c) => {
    const base = fs.mkdtempSync(path.join(lab.dir, "case-"));
    const d: Dirs = { hosts: path.join(base, "hosts"), playbooks: path.join(base, "playbooks"), templates: path.join(base, "templates"), keys: path.join(base, "keys") };
    fs.mkdirSync(d.hosts);
    fs.mkdirSync(d.keys);
    for (const f of ["lab.yaml", "lab.outputs.json", "lab.known_hosts"]) fs.copyFileSync(path.join(lab.dir, f), path.join(d.hosts, f));
    fs.cpSync(path.join(FIX, "playbooks"), d.playbooks, { recursive: true });
    fs.cpSync(path.join(FIX, "templates"), d.templates, { recursive: true });
    c.mutate?.(d);
    const { MULTITIER_VAULT_PASSWORD: _drop, ...baseEnv } = lab.env;
    const [cmd, args] = c.make ? ["make", ["-s", "--no-print-directory", c.make, "ENV=lab"]] : [path.join(ROOT, "bin", "multitier.js"), c.args ?? ["deploy", "faults", "--env", "lab"]];
    const r = spawnSync(cmd, args, {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...baseEnv, MULTITIER_HOSTS_DIR: d.hosts, MULTITIER_PLAYBOOKS_DIR: d.playbooks, MULTITIER_TEMPLATES_DIR: d.templates, MULTITIER_VAULT_KEY_DIR: d.keys },
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at \S+ \(/); // no stack trace
    if ((c.where ?? "stderr") === "stderr") {
      const lines = r.stderr.trim().split("\n").filter((l) => !(c.make && /^make(\[\d+\])?: \*\*\* /.test(l)));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(c.expect);
    } else {
      expect(r.stdout.split("\n").filter((l) => c.expect.test(l))).toHaveLength(1);
    }
    expect(sums()).toBe(before);
  }, 60_000);
});
