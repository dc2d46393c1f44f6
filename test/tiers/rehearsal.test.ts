/**
 * The whole rehearsal in the lab (issues #5, #17, #18): deploy all five tiers with the real
 * playbooks and templates (MongoDB and e-mission replaced by lab/standins) on systemd hosts
 * that start as a minimal Debian (sshd, python3, sudo), then check on the hosts what an
 * operator would: every package installed by the playbooks, services enabled and running under
 * systemd, a reboot that brings them back, a second deploy that changes nothing; then the
 * monitoring checks on the same lab (alerts fire and resolve, the webhook receives them).
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { writeVault } from "../../runner/secrets/vault";
import { isRoot, ROOT, selfSignedTls, startLab, type Lab } from "../lab/harness";
import { APT_PROXY_LOG } from "../../lab/lab";
import { TEST_VAULT } from "./render";
import { monitoringChecks } from "../lab/monitoring-checks";
import { parse, stringify } from "yaml";

const maybe = isRoot ? describe : describe.skip;

maybe("rehearsal: deploy-all in the lab", () => {
  let lab: Lab;
  let first: { code: number | null; stdout: string; stderr: string };
  let dry: { code: number | null; stdout: string; stderr: string };
  let afterDry: Record<string, string>;
  /** package-list refreshes of this lab's hosts so far (InRelease fetched through the proxy, NATed by its bastion) */
  let logStart = 0;
  const proxyLog = () => (fs.existsSync(APT_PROXY_LOG) ? fs.readFileSync(APT_PROXY_LOG, "utf8").split("\n") : []);
  const refreshes = () =>
    proxyLog()
      .slice(logStart)
      .filter((l) => l.split("|")[1] === "O" && l.split("|")[3] === lab.state.bastion.address && l.endsWith("/dists/bookworm/InRelease")).length;
  beforeAll(async () => {
    lab = await startLab("rh", { playbooks: path.join(ROOT, "playbooks"), templates: path.join(ROOT, "templates"), monitoring: true });
    writeVault(path.join(lab.dir, "lab.vault.yml"), stringify({ ...TEST_VAULT, tls: selfSignedTls(5) }), "rehearsal-pw");
    lab.env.MULTITIER_VAULT_PASSWORD = "rehearsal-pw";
    // an operator's first dry run on fresh hosts, then what it left on them (it must leave nothing)
    dry = await lab.cli(["deploy", "all", "--env", "lab", "--check", "--json"]);
    afterDry = Object.fromEntries(FRESH_PATHS.map(([host, p]) => [`${host}:${p}`, lab.sh(host, `test -e ${p} && echo present || echo absent`).trim()]));
    logStart = Math.max(0, proxyLog().length - 1);
    first = await lab.cli(["deploy", "all", "--env", "lab"]);
    if (first.code !== 0) console.log(`rehearsal: the first deploy failed:\n${first.stdout.slice(-4000)}${first.stderr}`);
  }, 1_200_000);
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
    for (const h of TIERS) {
      expect([h, recap.hosts[h].failed, recap.hosts[h].unreachable ?? 0]).toEqual([h, 0, 0]);
      expect(recap.hosts[h].changed).toBeGreaterThan(0);
    }
    expect(Object.values(afterDry)).toEqual(FRESH_PATHS.map(() => "absent"));
  });

  test("the first deploy-all succeeds on every host", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    // common.yml first, once on every host at a time, then each service in the tiers' order
    expect(first.stdout).toMatch(/^deploy common, database, webapp, analysis, notebook, monitoring on lab: 6 host\(s\)/); // the five tier hosts and the bastion (its exporter)
  });

  test("the first deploy installs every package the playbooks name (the hosts start without them), one cache refresh per host", () => {
    for (const tier of TIERS) {
      const named = packagesNamed(tier);
      const installed = first.stdout
        .split("\n")
        .flatMap((l) => new RegExp(`^  ${tier}\\s+changed\\s+.* — install (.+) \\(apt\\) \\(`).exec(l)?.[1].split(", ") ?? []);
      // only what the Debian root already had (sshd, python3, sudo) was not installed by the run
      const preinstalled = named.filter((n) => !installed.includes(n));
      expect({ tier, preinstalled: preinstalled.sort() }).toEqual({ tier, preinstalled: ["python3", "sudo"] });
      expect({ tier, unexpected: installed.filter((n) => !named.includes(n)) }).toEqual({ tier, unexpected: [] });
      const status = lab.sh(tier, `dpkg-query -W -f='\${db:Status-Status} \${Package}\\n' ${named.join(" ")}`);
      expect(status.trim().split("\n").sort()).toEqual(named.map((n) => `installed ${n}`).sort());
      console.log(`rehearsal: ${tier}: ${installed.length} packages installed by the first deploy (${installed.join(", ")})`);
    }
    // the package lists were refreshed once per host in the run (the first install task's
    // `apt-get update`): one InRelease per host went through the lab's apt proxy
    expect(refreshes()).toBe(TIERS.length);
  });

  test("systemd runs the managed services, enabled at boot (systemctl is-enabled / is-active)", () => {
    for (const tier of TIERS)
      for (const unit of MANAGED[tier]) {
        const state = lab.sh(tier, `echo "$(systemctl is-enabled ${unit}) $(systemctl is-active ${unit})"`).trim();
        expect({ tier, unit, state }).toEqual({ tier, unit, state: "enabled active" });
      }
    expect(lab.sh("database", "cat /proc/1/comm").trim()).toBe("systemd");
    expect(lab.sh("database", "systemctl show -p MainPID --value mongod | xargs -I{} cat /proc/{}/cmdline | tr '\\0' ' '")).toContain("/usr/local/bin/mongod-standin --config /etc/mongod.conf");
    // the hardened sshd config is the one the running sshd uses (reloaded through systemd)
    expect(lab.sh("webapp", "sshd -T | grep -E '^(maxauthtries|x11forwarding) '").trim().split("\n").sort()).toEqual(["maxauthtries 3", "x11forwarding no"]);
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
    let listen: string[] = [];
    for (let i = 0; i < 30 && !listen.length; i++) listen = listeners(lab.sh("notebook", "sleep 0.5; cat /proc/net/tcp /proc/net/tcp6"), 8888);
    expect(listen.length).toBeGreaterThan(0);
    for (const a of listen) expect(a).toBe("127.0.0.1");
  });

  test("tunnel-notebook: Jupyter through the bastion on this machine's loopback", async () => {
    const { spawn } = require("child_process");
    const child = spawn(path.join(ROOT, "bin", "multitier.js"), ["tunnel", "notebook", "--env", "lab", "--remote-port", "8888", "--local-port", "18888"], { cwd: ROOT, env: lab.env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    try {
      for (let i = 0; i < 300 && !out.includes("tunnel open"); i++) await new Promise((r) => setTimeout(r, 100)); // a loaded machine starts the CLI slowly
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

  test("a second deploy-all reports 0 changed (and refreshes no package list)", async () => {
    const r = await lab.cli(["deploy", "all", "--env", "lab", "--json"]);
    expect(refreshes()).toBe(TIERS.length);
    expect(r.code).toBe(0);
    const recap = JSON.parse(r.stdout.trim().split("\n").pop()!);
    for (const h of TIERS) expect([h, recap.hosts[h].changed, recap.hosts[h].failed]).toEqual([h, 0, 0]);
    // and no secret in any event
    for (const v of Object.values(TEST_VAULT).flatMap((x) => Object.values(x))) expect(r.stdout).not.toContain(v);
  }, 120_000);

  test("a reboot of every host brings every service back by itself; unlock-database starts it again; then nothing to change", async () => {
    await Promise.all(TIERS.map((t) => lab.reboot(t)));
    for (const tier of TIERS) {
      expect(lab.sh(tier, "cat /proc/1/comm").trim()).toBe("systemd");
      for (const unit of MANAGED[tier]) {
        let state = "";
        for (let i = 0; i < 100 && state !== "active"; i++) state = lab.sh(tier, `sleep 0.1; systemctl is-active ${unit} || true`).trim();
        expect({ tier, unit, state }).toEqual({ tier, unit, state: "active" });
      }
    }
    // the volumes came back from fstab, the programs under supervisord, the database answers
    expect(lab.sh("database", "findmnt -n -o FSTYPE /data").trim()).toBe("xfs");
    for (const [tier, program] of [["webapp", "emissionpy"], ["notebook", "jupyter"]]) {
      let status = "";
      for (let i = 0; i < 100 && !/RUNNING/.test(status); i++) status = lab.sh(tier, `sleep 0.1; supervisorctl status ${program} || true`);
      expect(status).toMatch(new RegExp(`^${program}\\s+RUNNING`));
    }
    const db = lab.host("database").address;
    expect(lab.sh("webapp", `timeout 3 bash -c 'exec 3<>/dev/tcp/${db}/27017; head -1 <&3'`).trim()).toBe("multitier mongod stand-in");
    // the lab's volumes are unencrypted (no device-mapper here): unlock runs the restart tasks
    const unlock = await lab.cli(["unlock", "database", "--env", "lab"]);
    expect({ code: unlock.code, stderr: unlock.stderr }).toEqual({ code: 0, stderr: "" });
    expect(unlock.stdout).toMatch(/changed\s+restart mongod — restart mongod \(systemd\)/);
    const r = await lab.cli(["deploy", "all", "--env", "lab", "--json"]);
    expect(r.code).toBe(0);
    const recap = JSON.parse(r.stdout.trim().split("\n").pop()!);
    for (const h of TIERS) expect([h, recap.hosts[h].changed, recap.hosts[h].failed]).toEqual([h, 0, 0]);
  }, 240_000);

  test("restart-analysis says there is no long-running process and shows the schedule", async () => {
    const r = await lab.cli(["restart", "analysis", "--env", "lab"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no long-running process here; the schedule is");
    expect(r.stdout).toContain("bin/intake_multiprocess.py 3");
  });

  // last: these checks stop services, fill and unmount volumes (each puts them back)
  describe("monitoring: Prometheus, Alertmanager and every host's exporter (test/lab/monitoring-checks.ts)", () => monitoringChecks(() => lab));
});

/** files the first deploy makes: absent on a fresh host, and still absent after a --check run */
const FRESH_PATHS: [string, string][] = [
  ["database", "/etc/mongod.conf"],
  ["webapp", "/etc/nginx/tls/emission.key"],
  ["analysis", "/code/e-mission-server/conf/storage/db.conf"],
  ["notebook", "/home/analyst/.jupyter/jupyter_notebook_config.py"],
];

const TIERS = ["database", "webapp", "analysis", "notebook", "monitoring"];

/** the systemd units the playbooks manage on each tier (service tasks with enabled: true, and sshd) */
const MANAGED: Record<string, string[]> = {
  database: ["ssh", "chrony", "supervisor", "mongod"],
  webapp: ["ssh", "chrony", "supervisor", "nginx"],
  analysis: ["ssh", "chrony", "supervisor", "cron"],
  notebook: ["ssh", "chrony", "supervisor"],
  monitoring: ["ssh", "chrony", "supervisor", "prometheus", "prometheus-alertmanager"],
};
// the monitoring agent on every host (hosts/lab.yaml turns monitoring on)
for (const t of Object.keys(MANAGED)) MANAGED[t].push("prometheus-node-exporter", "multitier-collector.timer");

/** every package name in the `package` tasks of common.yml and the tier's playbook */
function packagesNamed(tier: string): string[] {
  const names = new Set<string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object")
      for (const [k, v] of Object.entries(x)) {
        if (k === "package") for (const n of [(v as { name: string | string[] }).name].flat()) names.add(n);
        else if (k === "import_tasks" && typeof v === "string") walk(parse(fs.readFileSync(path.join(ROOT, "playbooks", v), "utf8")));
        else walk(v);
      }
  };
  for (const f of ["common.yml", `${tier}.yml`]) walk(parse(fs.readFileSync(path.join(ROOT, "playbooks", f), "utf8")));
  return [...names];
}

/** local addresses listening on `port` in /proc/net/tcp{,6} text */
function listeners(procNet: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return procNet
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === "0A" && f[1]?.endsWith(`:${hexPort}`))
    .map(([, local]) => {
      const hex = local.split(":")[0];
      if (hex.length === 8) return hex.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join(".");
      return hex === "00000000000000000000000001000000" ? "::1" : hex === "0".repeat(32) ? "::" : hex;
    });
}
