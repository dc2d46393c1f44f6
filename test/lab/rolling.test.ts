/**
 * Rolling deploys against the lab (issue 19): LAB_HOSTS=3 webapp hosts behind the lab's
 * stand-in balancer — an nginx on the bastion (lab/balancer.ts) whose upstream file the
 * runner edits (runner/balancer/lab.ts); the AWS target group cannot run here. Uses the real
 * playbooks (webapp.yml: serial 1, balancer: drain, the health gate on /ping through nginx).
 * While a rollout runs the test asks the balancer for a page every 100 ms: it must keep
 * answering. Written for the lab owner's run: needs root (namespaces).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BALANCER_DIR, BALANCER_PORT, standinOutput, startStandinScript, stopStandinScript } from "../../lab/balancer";
import { stringify } from "yaml";
import { writeVault } from "../../runner/secrets/vault";
import { TEST_VAULT } from "../tiers/render";
import { ROOT, isRoot, selfSignedTls, startLab, type Lab } from "./harness";

const maybe = isRoot ? describe : describe.skip;
if (!isRoot) console.log("lab rolling tests skipped: they need root on Linux (network namespaces, mounts)");

const WEBAPPS = ["webapp", "webapp-2", "webapp-3"];

maybe("rolling deploys behind the lab's stand-in balancer (lab, 3 webapp hosts)", () => {
  let lab: Lab;
  const deploy = (args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) => lab.cli(["deploy", "webapp", "--env", "lab", "--json", ...args], extraEnv);
  const events = (stdout: string) => stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const recap = (stdout: string) => events(stdout).find((e) => e.event === "recap");
  const nginxSite = (h: string) => lab.sh(h, "cat /etc/nginx/sites-available/emission.conf");

  /**
   * Ask the balancer for /ping every 100 ms while `during` runs, from inside the bastion's
   * network namespace (a python3 we start there and end by its pid): one status per line.
   */
  async function poll<T>(during: () => Promise<T>): Promise<{ result: T; answers: number[] }> {
    const holder = fs.readFileSync(path.join(lab.host("bastion").dir, "holder.pid"), "utf8").trim();
    const script = `import time, urllib.request, urllib.error, sys
while True:
    try:
        code = urllib.request.urlopen("http://127.0.0.1:${BALANCER_PORT}/ping", timeout=3).status
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception:
        code = -1
    print(code, flush=True)
    time.sleep(0.1)
`;
    const child = spawn("nsenter", ["-t", holder, "-n", "python3", "-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      return { result: await during(), answers: out.trim().split("\n").filter(Boolean).map(Number) };
    } finally {
      if (child.pid) process.kill(child.pid);
      await new Promise((r) => child.once("exit", r));
    }
  }

  /** a copy of the project's playbooks (or templates) with one file edited, for one run */
  function copyWith(dir: "playbooks" | "templates", file: string, edit: (text: string) => string): string {
    const to = fs.mkdtempSync(path.join(lab.dir, `${dir}-`));
    for (const f of fs.readdirSync(path.join(ROOT, dir))) fs.copyFileSync(path.join(ROOT, dir, f), path.join(to, f));
    const text = fs.readFileSync(path.join(to, file), "utf8");
    const edited = edit(text);
    expect(edited).not.toBe(text); // the edit took
    fs.writeFileSync(path.join(to, file), edited);
    return to;
  }

  beforeAll(async () => {
    // overlay hosts: rolling needs nothing of systemd (the rehearsal covers it), and 12 fresh
    // systemd hosts installing their packages would double the suite's longest lab
    lab = await startLab("roll", { hostsPerTier: 3, playbooks: path.join(ROOT, "playbooks"), templates: path.join(ROOT, "templates"), kind: "overlay" });
    // the secrets the webapp's templates read (push settings, TLS pair), as vault create makes them
    writeVault(path.join(lab.dir, "lab.vault.yml"), stringify({ ...TEST_VAULT, tls: selfSignedTls(30) }), "rolling-pw");
    lab.env.MULTITIER_VAULT_PASSWORD = "rolling-pw";
    // the outputs name the stand-in balancer, as the stack's outputs would name the target group
    const outputs = path.join(lab.dir, "lab.outputs.json");
    const o = JSON.parse(fs.readFileSync(outputs, "utf8"));
    o.inventory.value.loadBalancer = standinOutput();
    fs.writeFileSync(outputs, JSON.stringify(o, null, 2));
    lab.sh("bastion", startStandinScript(WEBAPPS.map((h) => lab.host(h).address)));
    // database first (the webapp's db.conf names it), then every webapp host once, all together
    const db = await lab.cli(["deploy", "database", "--env", "lab"]);
    if (db.code !== 0) console.log(`rolling: deploy database failed:\n${db.stdout.slice(-3000)}${db.stderr}`);
    expect(db.code).toBe(0);
    const first = await lab.cli(["deploy", "webapp", "--env", "lab", "--serial", "3"]);
    if (first.code !== 0) console.log(`rolling: the first deploy webapp failed:\n${first.stdout.slice(-3000)}${first.stderr}`);
    expect(first.code).toBe(0);
  }, 900_000);

  afterAll(async () => {
    try {
      lab?.sh("bastion", stopStandinScript());
    } catch {
      /* the lab goes anyway */
    }
    await lab?.down();
  });

  test("--check shows the three batches and changes nothing", async () => {
    const r = await deploy(["--check"]);
    expect(r.code).toBe(0);
    expect(events(r.stdout).find((e) => e.event === "rollout")).toMatchObject({ batches: [["webapp"], ["webapp-2"], ["webapp-3"]], check: true });
    expect(lab.sh("bastion", `cat ${BALANCER_DIR}/upstream.conf`)).not.toContain("down");
  }, 300_000);

  test("a rolling deploy changes the hosts one at a time (timestamps) while the balancer keeps answering", async () => {
    // a change every host must take: a new emission web port in the environment's vars
    // (webserver.conf and the nginx site both change; emissionpy restarts, nginx reloads)
    const envFile = path.join(lab.dir, "lab.yaml");
    const text = fs.readFileSync(envFile, "utf8");
    expect(text).toContain("webPort: 8080");
    fs.writeFileSync(envFile, text.replace("webPort: 8080", "webPort: 8081"));
    const { result: r, answers } = await poll(() => deploy());
    expect(r.code).toBe(0);
    const batches = events(r.stdout).filter((e) => e.event === "batch");
    const started = batches.filter((b) => b.state === "started");
    const done = batches.filter((b) => b.state === "done");
    expect(started.map((b) => b.hosts)).toEqual([["webapp"], ["webapp-2"], ["webapp-3"]]);
    for (let k = 1; k < 3; k++) expect(Date.parse(started[k].at)).toBeGreaterThanOrEqual(Date.parse(done[k - 1].at));
    // each host's change happened inside its own batch: the config file's mtime on the host
    const mtimes = WEBAPPS.map((h) => Number(lab.sh(h, "stat -c %Y /code/e-mission-server/conf/net/api/webserver.conf").trim()) * 1000);
    for (let k = 0; k < 3; k++) expect(mtimes[k]).toBeGreaterThanOrEqual(Math.floor(Date.parse(started[k].at) / 1000) * 1000);
    for (let k = 0; k < 3; k++) expect(mtimes[k]).toBeLessThanOrEqual(Math.ceil(Date.parse(done[k].at) / 1000) * 1000);
    for (let k = 1; k < 3; k++) expect(mtimes[k]).toBeGreaterThanOrEqual(Math.floor(Date.parse(done[k - 1].at) / 1000) * 1000);
    // the balancer answered every request during the rollout
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((c) => c !== 200)).toEqual([]);
    expect(lab.sh("bastion", `cat ${BALANCER_DIR}/upstream.conf`)).not.toContain("down");
    expect(recap(r.stdout).rollouts[0]).toMatchObject({ updated: WEBAPPS, notStarted: [] });
  }, 600_000);

  test("a deploy that breaks the health check on the first host stops there: exit 2, the others keep the old configuration and serve; a fixed deploy rolls all three", async () => {
    const before = WEBAPPS.map(nginxSite);
    // the break: nginx proxies to a port nothing listens on (502 on /ping through nginx)
    const broken = copyWith("templates", "nginx-emission.conf.hbs", (t) => t.replace("proxy_pass http://127.0.0.1:{{emission.webPort}};", "proxy_pass http://127.0.0.1:9;"));
    const { result: r, answers } = await poll(() => deploy([], { MULTITIER_TEMPLATES_DIR: broken }));
    expect(r.code).toBe(2);
    const rc = recap(r.stdout);
    expect(rc.rollouts[0]).toMatchObject({ stoppedAt: 1, updated: [], failed: ["webapp"], notStarted: ["webapp-2", "webapp-3"] });
    expect(rc.notStarted).toEqual(["webapp-2", "webapp-3"]);
    expect(events(r.stdout).some((e) => e.event === "task" && e.host === "webapp" && e.task === "healthy through nginx" && e.status === "failed")).toBe(true);
    expect(nginxSite("webapp")).toContain("proxy_pass http://127.0.0.1:9;");
    expect([nginxSite("webapp-2"), nginxSite("webapp-3")]).toEqual([before[1], before[2]]);
    // the failed host stays out of the balancer; the others kept serving all along
    expect(lab.sh("bastion", `cat ${BALANCER_DIR}/upstream.conf`)).toMatch(new RegExp(`server ${lab.host("webapp").address.replace(/\./g, "\\.")}:443 down;`));
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((c) => c !== 200)).toEqual([]);
    // the fixed deploy rolls through all three and puts webapp back
    const fixed = await deploy();
    expect(fixed.code).toBe(0);
    expect(recap(fixed.stdout).rollouts[0]).toMatchObject({ updated: WEBAPPS, notStarted: [] });
    expect(WEBAPPS.map(nginxSite)).toEqual(before);
    expect(lab.sh("bastion", `cat ${BALANCER_DIR}/upstream.conf`)).not.toContain("down");
  }, 900_000);

  test("max_fail_percentage with two batches: one failed host in a batch of two stops the rollout, unless 50% is tolerated", async () => {
    // a copy of webapp.yml whose health gates fail on webapp-2 only (its port 1 never opens)
    const gate = "    - name: healthy through nginx\n";
    const sick = `    - name: webapp-2 is sick (test)\n      wait_for: { port: 1, timeout: 1 }\n      when: "host.name == 'webapp-2'"\n`;
    const strictBooks = copyWith("playbooks", "webapp.yml", (t) => t.replace("  serial: 1\n  balancer: drain\n  vars:\n    app_user", "  serial: 2\n  balancer: drain\n  vars:\n    app_user").replace(gate, sick + gate));
    const strict = await deploy([], { MULTITIER_PLAYBOOKS_DIR: strictBooks });
    expect(strict.code).toBe(2);
    expect(recap(strict.stdout).rollouts[0]).toMatchObject({ batches: [["webapp", "webapp-2"], ["webapp-3"]], stoppedAt: 1, updated: ["webapp"], failed: ["webapp-2"], notStarted: ["webapp-3"] });
    const tolerantBooks = copyWith("playbooks", "webapp.yml", (t) => t.replace("  serial: 1\n  balancer: drain\n  vars:\n    app_user", "  serial: 2\n  max_fail_percentage: 50\n  balancer: drain\n  vars:\n    app_user").replace(gate, sick + gate));
    const tolerant = await deploy([], { MULTITIER_PLAYBOOKS_DIR: tolerantBooks });
    expect(tolerant.code).toBe(2); // a host failed all the same
    expect(recap(tolerant.stdout).rollouts[0]).toMatchObject({ batches: [["webapp", "webapp-2"], ["webapp-3"]], updated: ["webapp", "webapp-3"], failed: ["webapp-2"], notStarted: [] });
    const healed = await deploy();
    expect(healed.code).toBe(0);
    expect(lab.sh("bastion", `cat ${BALANCER_DIR}/upstream.conf`)).not.toContain("down");
  }, 900_000);

  test("a health gate from the controller reaches each host through the bastion (SSH forwardOut)", async () => {
    const gate = "    - name: healthy through nginx\n";
    const outside = `    - name: healthy from outside\n      http_check: { scheme: https, port: 443, path: /ping, validate_certs: false, from: controller, retries: 5, delay: 1 }\n`;
    const books = copyWith("playbooks", "webapp.yml", (t) => t.replace(gate, outside + gate));
    const r = await deploy([], { MULTITIER_PLAYBOOKS_DIR: books });
    expect(r.code).toBe(0);
    const gates = events(r.stdout).filter((e) => e.event === "task" && e.task === "healthy from outside");
    expect(gates.map((e) => [e.host, e.status])).toEqual(WEBAPPS.map((h) => [h, "ok"]));
    gates.forEach((e, k) => expect(e.msg).toMatch(new RegExp(`^healthy: https://${lab.host(WEBAPPS[k]).address.replace(/\./g, "\\.")}:443/ping answers 200 \\(from the controller\\) \\(\\d+ tr(y|ies)\\)$`)));
  }, 600_000);

  test("make restart-webapp rolls too: emissionpy restarted one host at a time, the balancer answering", async () => {
    const pid = (h: string) => /pid (\d+)/.exec(lab.sh(h, "supervisorctl status emissionpy"))![1];
    const before = WEBAPPS.map(pid);
    const { result: r, answers } = await poll(() => lab.cli(["restart", "webapp", "--env", "lab", "--json"]));
    expect(r.code).toBe(0);
    expect(events(r.stdout).filter((e) => e.event === "batch" && e.state === "started").map((b) => b.hosts)).toEqual([["webapp"], ["webapp-2"], ["webapp-3"]]);
    const after = WEBAPPS.map(pid);
    for (let k = 0; k < 3; k++) expect(after[k]).not.toBe(before[k]);
    expect(answers.filter((c) => c !== 200)).toEqual([]);
  }, 600_000);
});
