/**
 * Secrets never leak: a full `make deploy-all ENV=lab DIFF=1 JSON=1` (the real playbooks) with
 * known secret values, while a watcher records every process's argv (lab hosts share
 * the machine's process table, so one watcher sees every host). The values appear in no
 * argv, no output, no JSON event, no diff, no file under any host's /tmp, no synthesized
 * Terraform, no plan review. The private key is never on a host; agent forwarding is off.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { analyze } from "../../review/analyze";
import { renderMarkdown } from "../../review/markdown";
import { BOOTSTRAP } from "../../runner/agent/client";
import { writeVault } from "../../runner/secrets/vault";
import { isRoot, ROOT, startLab, type Lab } from "../lab/harness";
import { synthFile } from "../stacks/synth";

const maybe = isRoot ? describe : describe.skip;

const SECRETS = {
  luks: { database: "Luks-Db-5ecret-Value-01", webapp: "Luks-Web-5ecret-Value-02", analysis: "Luks-An-5ecret-Value-03", notebook: "Luks-Nb-5ecret-Value-04" },
  mongodb: { admin: "Mongo-Admin-5ecret-11", readwrite: "Mongo-RW-5ecret/with:chars", readonly: "Mongo-RO-5ecret-13" },
  push: { server_auth_token: "Push-Token-5ecret-21", ios_key_id: "REPLACE_ME" },
  jupyter: { token: "Jupyter-Token-5ecret-31" },
};
const VALUES = [...Object.values(SECRETS.luks), ...Object.values(SECRETS.mongodb), SECRETS.push.server_auth_token, SECRETS.jupyter.token];
const FORMS = VALUES.flatMap((v) => [v, encodeURIComponent(v)]);

maybe("secrets never leak (lab)", () => {
  let lab: Lab;
  let out = "";
  let argv = "";
  let agentEnv = "";
  beforeAll(async () => {
    // overlay hosts (packages present): a second full install from scratch besides the
    // rehearsal's would double the longest lab of the suite; what leaks does not depend on it
    lab = await startLab("rs", { kind: "overlay", playbooks: path.join(ROOT, "playbooks"), templates: path.join(ROOT, "templates") });
    const dir = fs.mkdtempSync("/tmp/mt-rs-tls-");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lab", "-keyout", `${dir}/k`, "-out", `${dir}/c`], { stdio: "ignore" });
    const tls = { cert: fs.readFileSync(`${dir}/c`, "utf8"), key: fs.readFileSync(`${dir}/k`, "utf8") };
    fs.rmSync(dir, { recursive: true, force: true });
    writeVault(path.join(lab.dir, "lab.vault.yml"), stringify({ ...SECRETS, tls }), "leak-test-pw");
    lab.env.MULTITIER_VAULT_PASSWORD = "leak-test-pw";
    const watcher = spawn("/bin/sh", ["-c", `while :; do for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; if grep -q 'sys.stdin.buffer.readline' $p/cmdline 2>/dev/null; then echo "ENV $(tr '\\0' ' ' < $p/environ 2>/dev/null)"; fi; done; done`]);
    watcher.stdout.on("data", (d) => {
      const text = String(d);
      for (const line of text.split("\n")) if (line.startsWith("ENV ")) agentEnv += line + "\n";
      argv += text;
    });
    // what an operator types: make deploy-all ENV=lab, with the diff and the JSON events on
    const child = spawn("make", ["-s", "--no-print-directory", "deploy-all", "ENV=lab", "DIFF=1", "JSON=1"], { cwd: ROOT, env: lab.env });
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    watcher.kill();
    if (code !== 0) throw new Error(`deploy-all failed (${code}):\n${out.slice(-3000)}`);
  }, 300_000);
  afterAll(async () => {
    await lab?.down();
  });

  test("the watcher saw the run (a real sample of argv)", () => {
    expect(argv.length).toBeGreaterThan(10_000);
    // the agent's start command, as the watcher records argv (words joined, quotes gone)
    expect(argv).toContain(BOOTSTRAP.replace(/'/g, ""));
  });

  test("no secret in any process's argv", () => {
    expect(FORMS.filter((v) => argv.includes(v))).toEqual([]);
  });

  test("no secret in the output, the JSON events or the diffs (they are masked)", () => {
    expect(FORMS.filter((v) => out.includes(v))).toEqual([]);
    const events = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    const dbConf = events.find((e) => e.event === "task" && e.host === "webapp" && /db\.conf/.test(e.task));
    expect(dbConf.diff).toContain("********");
  });

  test("no secret in a file under any host's /tmp", () => {
    for (const h of ["database", "webapp", "analysis", "notebook"]) expect(lab.sh(h, `grep -rlF -e '${VALUES.join("' -e '")}' /tmp 2>/dev/null || true`).trim()).toBe("");
  });

  test("the private key is on no host, and agent forwarding is off", () => {
    // the key body without its first line (the same for every unencrypted ed25519 key)
    const body = fs.readFileSync(lab.state.keyFile, "utf8").split("\n").filter((l) => l && !l.startsWith("-----")).slice(1);
    expect(body.length).toBeGreaterThan(0);
    const patterns = body.flatMap((l) => ["-e", l]);
    for (const h of [lab.state.bastion, ...lab.state.hosts]) {
      const found = spawnSync("grep", ["-rlF", ...patterns, path.join(h.dir, "upper")], { encoding: "utf8" });
      expect({ host: h.name, status: found.status, files: found.stdout.trim() }).toEqual({ host: h.name, status: 1, files: "" }); // 1: no match
    }
    expect(agentEnv.length).toBeGreaterThan(0);
    expect(agentEnv).not.toContain("SSH_AUTH_SOCK");
  });

  test("no secret in the synthesized Terraform or a plan review", () => {
    const text = synthFile("production").text;
    expect(FORMS.filter((v) => text.includes(v))).toEqual([]);
    const md = renderMarkdown(
      analyze({ resource_changes: [{ address: "aws_db.x", type: "aws_db", change: { actions: ["update"], before: { password: "old" }, after: { password: SECRETS.mongodb.admin }, before_sensitive: { password: true }, after_sensitive: { password: true } } }] }),
    );
    expect(md).not.toContain(SECRETS.mongodb.admin);
    expect(md).toContain("(sensitive)");
  });
});
