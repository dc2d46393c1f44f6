/**
 * The whole rehearsal in the lab (issue #5): deploy all four tiers with the real playbooks
 * and templates (MongoDB and e-mission replaced by lab/standins), then check on the hosts
 * what an operator would.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { writeVault } from "../../runner/secrets/vault";
import { isRoot, ROOT, startLab, type Lab } from "../lab/harness";
import { TEST_VAULT } from "./render";
import { stringify } from "yaml";

const maybe = isRoot ? describe : describe.skip;

maybe("rehearsal: deploy-all in the lab", () => {
  let lab: Lab;
  let first: { code: number | null; stdout: string; stderr: string };
  let dry: { code: number | null; stdout: string; stderr: string };
  let afterDry: Record<string, string>;
  beforeAll(async () => {
    lab = await startLab("rh", { playbooks: path.join(ROOT, "playbooks"), templates: path.join(ROOT, "templates") });
    writeVault(path.join(lab.dir, "lab.vault.yml"), stringify({ ...TEST_VAULT, tls: fakeTls() }), "rehearsal-pw");
    lab.env.MULTITIER_VAULT_PASSWORD = "rehearsal-pw";
    // an operator's first dry run on fresh hosts, then what it left on them (it must leave nothing)
    dry = await lab.cli(["deploy", "all", "--env", "lab", "--check", "--json"]);
    afterDry = Object.fromEntries(FRESH_PATHS.map(([host, p]) => [`${host}:${p}`, lab.sh(host, `test -e ${p} && echo present || echo absent`).trim()]));
    first = await lab.cli(["deploy", "all", "--env", "lab"]);
  }, 420_000);
  afterAll(async () => {
    await lab?.down();
  });

  test("a first dry run (--check) on fresh hosts exits 0, fails nothing, lists changes on every host and changes none", () => {
    // what failed, host by host, so that a failure says which task and why
    const failed = dry.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((e) => e.event === "task" && e.status === "failed").map((e) => `${e.host} ${e.task}: ${e.msg}`);
    expect(failed).toEqual([]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    const recap = JSON.parse(dry.stdout.trim().split("\n").pop()!);
    for (const h of ["database", "webapp", "analysis", "notebook"]) {
      expect([h, recap.hosts[h].failed, recap.hosts[h].unreachable ?? 0]).toEqual([h, 0, 0]);
      expect(recap.hosts[h].changed).toBeGreaterThan(0);
    }
    expect(Object.values(afterDry)).toEqual(FRESH_PATHS.map(() => "absent"));
  });

  test("the first deploy-all succeeds on every host", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^deploy database, webapp, analysis, notebook on lab: 4 host\(s\)/);
  });

  test("the database port answers from the webapp host, not from the controller", async () => {
    const db = lab.host("database").address;
    expect(lab.sh("webapp", `timeout 3 bash -c 'exec 3<>/dev/tcp/${db}/27017; head -1 <&3'`).trim()).toBe("multitier mongod stand-in");
    const fromController = await new Promise<string>((resolve) => {
      const s = net.connect({ host: db, port: 27017, timeout: 1500 });
      s.on("connect", () => (s.destroy(), resolve("connected")));
      s.on("timeout", () => (s.destroy(), resolve("timeout")));
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(fromController).not.toBe("connected");
    expect(lab.sh("database", "cat /etc/mongod.conf")).toMatch(/bindIp: 127\.0\.0\.1,10\.213\.1\.\d+\n/);
  });

  test("emissionpy is RUNNING under supervisord and restart-webapp restarts it", async () => {
    const status = () => lab.sh("webapp", "supervisorctl status emissionpy");
    expect(status()).toMatch(/^emissionpy\s+RUNNING\s+pid (\d+)/);
    const pid = /pid (\d+)/.exec(status())![1];
    const r = await lab.cli(["restart", "webapp", "--env", "lab"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/changed\s+restart emissionpy — restart emissionpy \(supervisord\)/);
    expect(r.stdout).toMatch(/changed\s+reload nginx — reload nginx/);
    const after = /pid (\d+)/.exec(status())![1];
    expect(after).not.toBe(pid);
  }, 60_000);

  test("nginx serves TLS in front of emissionpy", () => {
    const out = lab.sh("webapp", "sleep 1; python3 - <<'PY'\nimport ssl, urllib.request, json\nctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\nr = urllib.request.urlopen('https://127.0.0.1/', context=ctx, timeout=5)\nprint(r.status, json.loads(r.read())['service'])\nPY");
    expect(out.trim()).toBe("200 emissionpy stand-in");
    // plain HTTP answers with a redirect to HTTPS
    const redirect = lab.sh("webapp", "python3 -c \"import http.client as h; c = h.HTTPConnection('127.0.0.1', 80, timeout=5); c.request('GET', '/x'); r = c.getresponse(); print(r.status, r.getheader('Location'))\"");
    expect(redirect.trim()).toBe("301 https://127.0.0.1/x");
  });

  test("the analysis crontab holds the five jobs, installed with crontab", () => {
    const tab = lab.sh("analysis", "crontab -l -u emission");
    const jobs = tab.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(jobs.map((l) => l.split(" ")[0] === "@daily" || l.split(" ")[0] === "@hourly" ? l.split(" ")[0] : l.split(" ").slice(0, 5).join(" "))).toEqual(["@daily", "*/1 * * * *", "*/10 * * * *", "*/30 * * * *", "@hourly"]);
    expect(jobs.every((l) => />> \/log\/emission\//.test(l))).toBe(true);
  });

  test("Jupyter listens on 127.0.0.1 only", () => {
    let listen = "";
    for (let i = 0; i < 30 && !listen.includes(":8888"); i++) listen = lab.sh("notebook", "sleep 0.5; ss -ltnH");
    const lines = listen.split("\n").filter((l) => l.includes(":8888"));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/\s127\.0\.0\.1:8888\s/);
  });

  test("tunnel-notebook: Jupyter through the bastion on this machine's loopback", async () => {
    const { spawn } = require("child_process");
    const child = spawn(path.join(ROOT, "bin", "multitier.js"), ["tunnel", "notebook", "--env", "lab", "--remote-port", "8888", "--local-port", "18888"], { cwd: ROOT, env: lab.env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    try {
      for (let i = 0; i < 50 && !out.includes("tunnel open"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain("tunnel open: http://127.0.0.1:18888/ -> notebook 127.0.0.1:8888");
      const status = await new Promise<number>((resolve, reject) => {
        require("http").get("http://127.0.0.1:18888/api", (res: any) => (res.resume(), resolve(res.statusCode))).on("error", reject);
      });
      expect(status).toBe(200); // Jupyter's /api answers without the token
    } finally {
      child.kill("SIGINT");
    }
  }, 60_000);

  test("files holding passwords are 0600/0640 and owned by the service user", () => {
    const st = (host: string, f: string) => lab.sh(host, `stat -c '%a %U' ${f}`).trim();
    expect(st("webapp", "/code/e-mission-server/conf/storage/db.conf")).toBe("600 emission");
    expect(st("analysis", "/code/e-mission-server/conf/storage/db.conf")).toBe("600 emission");
    expect(st("notebook", "/code/e-mission-server/conf/storage/db.conf")).toBe("600 analyst");
    expect(st("webapp", "/code/e-mission-server/conf/net/ext_service/push.json")).toBe("600 emission");
    expect(st("notebook", "/home/analyst/.jupyter/jupyter_notebook_config.py")).toBe("600 analyst");
    expect(st("webapp", "/etc/nginx/tls/emission.key")).toBe("600 root");
    expect(lab.sh("notebook", "stat -c '%U %a' /notebooks").trim()).toBe("analyst 750");
  });

  test("a second deploy-all reports 0 changed", async () => {
    const r = await lab.cli(["deploy", "all", "--env", "lab", "--json"]);
    expect(r.code).toBe(0);
    const recap = JSON.parse(r.stdout.trim().split("\n").pop()!);
    for (const h of ["database", "webapp", "analysis", "notebook"]) expect([h, recap.hosts[h].changed, recap.hosts[h].failed]).toEqual([h, 0, 0]);
    // and no secret in any event
    for (const v of Object.values(TEST_VAULT).flatMap((x) => Object.values(x))) expect(r.stdout).not.toContain(v);
  }, 120_000);

  test("restart-analysis says there is no long-running process and shows the schedule", async () => {
    const r = await lab.cli(["restart", "analysis", "--env", "lab"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no long-running process here; the schedule is");
    expect(r.stdout).toContain("bin/intake_multiprocess.py 3");
  });
});

/** files the first deploy makes: absent on a fresh host, and still absent after a --check run */
const FRESH_PATHS: [string, string][] = [
  ["database", "/etc/mongod.conf"],
  ["webapp", "/etc/nginx/tls/emission.key"],
  ["analysis", "/code/e-mission-server/conf/storage/db.conf"],
  ["notebook", "/home/analyst/.jupyter/jupyter_notebook_config.py"],
];

function fakeTls(): { cert: string; key: string } {
  const { execFileSync } = require("child_process");
  const dir = fs.mkdtempSync("/tmp/mt-rh-tls-");
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lab", "-keyout", `${dir}/k`, "-out", `${dir}/c`], { stdio: "ignore" });
    return { cert: fs.readFileSync(`${dir}/c`, "utf8"), key: fs.readFileSync(`${dir}/k`, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
