/**
 * Every rendered file is checked by the tool that will read it: supervisord loads the
 * program files, nginx -t the site, sshd -t the hardening drop-in; mongod.conf is parsed as
 * YAML and held to MongoDB's documented option names. (fstab: test/storage, findmnt
 * --verify; crontabs: test/tiers/rehearsal, crontab on a lab host.)
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { productionInventory, renderTemplate, ROOT, TEST_VAULT, varsFor } from "./render";

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tiers-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const inv = productionInventory();

/** MongoDB configuration file options we may use (https://www.mongodb.com/docs/manual/reference/configuration-options/) */
const MONGOD_OPTIONS: Record<string, string[]> = {
  storage: ["dbPath", "directoryPerDB", "engine", "wiredTiger"],
  systemLog: ["destination", "path", "logAppend", "logRotate", "verbosity", "quiet", "timeStampFormat"],
  net: ["port", "bindIp", "bindIpAll", "ipv6", "maxIncomingConnections", "tls", "unixDomainSocket"],
  processManagement: ["fork", "pidFilePath", "timeZoneInfo"],
  security: ["authorization", "keyFile", "clusterAuthMode", "javascriptEnabled"],
  operationProfiling: ["mode", "slowOpThresholdMs"],
  replication: ["replSetName", "oplogSizeMB"],
};

test("mongod.conf: known options only, bindIp without spaces, paths on the declared volumes", () => {
  const text = renderTemplate("mongod.conf.hbs", varsFor(inv, "database"));
  const conf = parse(text);
  for (const [section, opts] of Object.entries(conf)) {
    expect(Object.keys(MONGOD_OPTIONS)).toContain(section);
    for (const key of Object.keys(opts as object)) expect(MONGOD_OPTIONS[section]).toContain(key);
  }
  expect(conf.net.bindIp).toBe("127.0.0.1,192.168.1.100,2600:1f18:aaaa:8101::64");
  expect(conf.net.bindIp).not.toMatch(/\s/);
  expect(conf.net.ipv6).toBe(true);
  expect(conf.security.authorization).toBe("enabled");
  expect(conf.storage.dbPath.startsWith("/data/")).toBe(true);
  expect(conf.systemLog.path.startsWith("/log/")).toBe(true);
  expect(conf.net.port).toBe(27017);
});

test("db.conf: the read-write URL on the webapp, read-only on the notebook, passwords URL-encoded", () => {
  const rw = JSON.parse(renderTemplate("db.conf.hbs", varsFor(inv, "webapp", { db_role: "readwrite" })));
  expect(rw.timeseries.url).toBe(`mongodb://emission_rw:${encodeURIComponent(TEST_VAULT.mongodb.readwrite)}@192.168.1.100:27017/Stage_database?authSource=admin`);
  const ro = JSON.parse(renderTemplate("db.conf.hbs", varsFor(inv, "notebook", { db_role: "readonly" })));
  expect(new URL(ro.timeseries.url).username).toBe("emission_ro");
  expect(decodeURIComponent(new URL(ro.timeseries.url).password)).toBe(TEST_VAULT.mongodb.readonly);
});

test("supervisord loads the emissionpy, jupyter and mongod programs", () => {
  const conf = path.join(tmp, "supervisor");
  fs.mkdirSync(path.join(conf, "conf.d"), { recursive: true });
  const programs = [
    ["webapp", { name: "emissionpy", command: "/bin/sleep 30", directory: "/", user: "nobody", logDir: conf, environment: 'PATH="/code/venv/bin:/usr/bin:/bin"' }],
    ["notebook", { name: "jupyter", command: "/bin/sleep 30", directory: "/", user: "nobody", logDir: conf }],
    ["database", { name: "mongod", command: "/bin/sleep 30", directory: "/", user: "nobody", logDir: conf }],
  ] as const;
  for (const [host, program] of programs) fs.writeFileSync(path.join(conf, "conf.d", `${program.name}.conf`), renderTemplate("supervisor-program.conf.hbs", varsFor(inv, host, { program })));
  const main = path.join(conf, "supervisord.conf");
  fs.writeFileSync(
    main,
    `[unix_http_server]\nfile=${conf}/s.sock\n[supervisord]\npidfile=${conf}/s.pid\nlogfile=${conf}/s.log\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${conf}/s.sock\n[include]\nfiles = ${conf}/conf.d/*.conf\n`,
  );
  execFileSync("supervisord", ["-c", main]);
  try {
    let status = "";
    for (let i = 0; i < 40 && !/emissionpy\s+RUNNING[\s\S]*jupyter\s+RUNNING[\s\S]*mongod\s+RUNNING/.test(status); i++) {
      execFileSync("sleep", ["0.25"]);
      status = spawnSync("supervisorctl", ["-c", main, "status"], { encoding: "utf8" }).stdout;
    }
    expect(status).toMatch(/emissionpy\s+RUNNING/);
    expect(status).toMatch(/jupyter\s+RUNNING/);
    expect(status).toMatch(/mongod\s+RUNNING/);
    expect(fs.readFileSync(path.join(conf, "conf.d", "emissionpy.conf"), "utf8")).toContain("autorestart=true");
  } finally {
    spawnSync("supervisorctl", ["-c", main, "shutdown"]);
    for (let i = 0; i < 40 && fs.existsSync(path.join(conf, "s.pid")); i++) execFileSync("sleep", ["0.1"]);
  }
});

test("nginx -t accepts the TLS site in front of emissionpy", () => {
  const dir = path.join(tmp, "nginx");
  fs.mkdirSync(path.join(dir, "log"), { recursive: true });
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")], { stdio: "ignore" });
  const vars = varsFor(inv, "webapp");
  (vars.host as any).volumes.log.mountPoint = path.join(dir, "log");
  // the site names the production certificate paths; point them at this test's pair
  const site = renderTemplate("nginx-emission.conf.hbs", vars).replace("/etc/nginx/tls/emission.crt", path.join(dir, "c.pem")).replace("/etc/nginx/tls/emission.key", path.join(dir, "k.pem"));
  expect(site).toContain("proxy_pass http://127.0.0.1:8080;");
  expect(site).toContain("return 301 https://$host$request_uri;");
  fs.mkdirSync(path.join(dir, "log", "nginx"), { recursive: true });
  fs.writeFileSync(path.join(dir, "site.conf"), site);
  fs.writeFileSync(path.join(dir, "nginx.conf"), `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp { include ${dir}/site.conf; }\n`);
  const r = spawnSync("nginx", ["-t", "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")], { encoding: "utf8" });
  expect(r.stderr).toContain("test is successful");
  expect(r.status).toBe(0);
});

test("sshd -t accepts the hardening drop-in", () => {
  const f = path.join(tmp, "50-multitier.conf");
  fs.writeFileSync(f, renderTemplate("sshd-hardening.conf.hbs", varsFor(inv, "webapp")));
  // sshd -t wants its privilege-separation directory (Debian's service creates it at start)
  const madeRunSshd = !fs.existsSync("/run/sshd");
  if (madeRunSshd) fs.mkdirSync("/run/sshd", { mode: 0o755 });
  let r;
  try {
    r = spawnSync("/usr/sbin/sshd", ["-t", "-f", f], { encoding: "utf8" });
  } finally {
    if (madeRunSshd) fs.rmdirSync("/run/sshd");
  }
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(fs.readFileSync(f, "utf8")).toMatch(/^PasswordAuthentication no$/m);
});

test("no address, user name or password is written in a playbook or template", () => {
  const offending: string[] = [];
  const secrets = Object.values(TEST_VAULT).flatMap((v) => Object.values(v));
  // playbooks: every user/owner/group given to a module comes from a variable
  const USER_KEYS = ["user", "owner", "group", "app_user", "mongod_user"];
  const walk = (file: string, v: unknown, key = ""): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(file, x, key));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(file, x, k);
    else if (typeof v === "string") {
      if (USER_KEYS.includes(key) && !v.includes("{{") && v !== "root") offending.push(`${file}: ${key}: ${v}`);
      for (const ip of v.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []) if (!ip.startsWith("127.")) offending.push(`${file}: ${ip}`);
      if (secrets.some((x) => v.includes(x)) || /password\s*[:=]\s*\w/i.test(v)) offending.push(`${file}: a password`);
    }
  };
  for (const f of fs.readdirSync(path.join(ROOT, "playbooks")).filter((f) => f.endsWith(".yml"))) walk(f, parse(fs.readFileSync(path.join(ROOT, "playbooks", f), "utf8")));
  // templates: user=/owner lines are variables; no address but loopback; no password
  for (const f of fs.readdirSync(path.join(ROOT, "templates"))) {
    const text = fs.readFileSync(path.join(ROOT, "templates", f), "utf8");
    for (const line of text.split("\n")) {
      if (/^\s*(user|owner|group)\s*=/.test(line) && !line.includes("{{")) offending.push(`${f}: ${line.trim()}`);
      for (const ip of line.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []) if (!ip.startsWith("127.")) offending.push(`${f}: ${ip}`);
    }
    if (secrets.some((x) => text.includes(x)) || /(pwd|password)\s*[:=]\s*["'][^"'{]/i.test(text)) offending.push(`${f}: a password`);
  }
  expect(offending).toEqual([]);
});
