/**
 * The textfile collector (monitoring/textfile-collector.py) and the cron job wrapper
 * (monitoring/multitier-job), run for real against recorded inputs in a scratch root:
 * mountinfo lines as the kernel writes them, /dev/mapper entries, a real supervisord
 * (`supervisord -c`) with one program running and one stopped, a certificate made by
 * openssl, recorded `chronyc -c tracking` output, and pipeline stamps written by the wrapper.
 * Its output must pass `promtool check metrics`. Tools that are missing skip their test
 * with a line saying so.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, runTool, tool } from "./render";

const COLLECTOR = path.join(ROOT, "monitoring", "textfile-collector.py");
const JOB = path.join(ROOT, "monitoring", "multitier-job");
const promtool = tool("promtool", "promtool check metrics on the collector's output");
const supervisord = tool("supervisord", "service checks against a real supervisord");
const openssl = tool("openssl", "certificate expiry");

let dir: string;
let fakeRoot: string;
let supervisorConf: string;
const MOUNTINFO = [
  "21 26 0:20 / /proc rw,relatime - proc proc rw",
  "30 26 202:80 / /code rw,noatime - ext4 /dev/xvdf rw",
  "31 26 253:1 / /log rw,noatime,noexec - xfs /dev/mapper/log_crypt rw,attr2",
  "32 26 202:96 / /journal rw,noatime - xfs /dev/xvdg rw", // LUKS declared, raw disk mounted: not ready
  "33 26 202:112 / /with\\040space rw - ext4 /dev/xvdh rw",
].join("\n");
const TRACKING_OK = "A9FEA97B,169.254.169.123,4,1764612000.123456789,-0.000012345,0.000001021,0.000003100,-1.234,0.001,0.012,0.000345,0.000123,64.4,Normal\n";
const TRACKING_UNSYNC = "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n";

function writeConfig(extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, "collector.json");
  fs.writeFileSync(
    file,
    JSON.stringify({
      tier: "webapp",
      host: "webapp",
      volumes: {
        code: { mountPoint: "/code", encryption: "none" },
        log: { mountPoint: "/log", encryption: "luks" },
        data: { mountPoint: "/data", encryption: "luks" },
        journal: { mountPoint: "/journal", encryption: "luks" },
        spaced: { mountPoint: "/with space", encryption: "none" },
      },
      checks: { webapp: { services: ["emissionpy", "jupyter", "not-a-service"], pipelines: ["intake", "other"], certificates: ["/etc/nginx/tls/emission.crt", "/etc/missing.crt"] }, analysis: { services: ["elsewhere"] } },
      pipelineDir: "/var/lib/multitier/pipelines",
      ...extra,
    }),
  );
  return file;
}

function collect(args: string[] = [], tracking = TRACKING_OK): { out: string; samples: Map<string, number> } {
  const trackingFile = path.join(dir, "tracking.csv");
  fs.writeFileSync(trackingFile, tracking);
  const outFile = path.join(fakeRoot, "var/lib/prometheus/node-exporter/multitier.prom");
  execFileSync("python3", [COLLECTOR, "--config", writeConfig(), "--root", fakeRoot, "--output", outFile, "--supervisor-conf", supervisorConf, "--chrony-tracking", trackingFile, ...args], { encoding: "utf8" });
  const out = fs.readFileSync(outFile, "utf8");
  const samples = new Map<string, number>();
  for (const line of out.split("\n")) if (line && !line.startsWith("#")) samples.set(line.slice(0, line.lastIndexOf(" ")), Number(line.slice(line.lastIndexOf(" ") + 1)));
  return { out, samples };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "multitier-collector-"));
  fakeRoot = path.join(dir, "root");
  for (const d of ["proc/self", "dev/mapper", "etc/nginx/tls", "var/lib/multitier/pipelines", "var/lib/prometheus/node-exporter"]) fs.mkdirSync(path.join(fakeRoot, d), { recursive: true });
  fs.writeFileSync(path.join(fakeRoot, "proc/self/mountinfo"), MOUNTINFO + "\n");
  fs.writeFileSync(path.join(fakeRoot, "dev/mapper/log_crypt"), "");
  fs.writeFileSync(path.join(fakeRoot, "dev/mapper/data_crypt"), ""); // opened, never mounted
  if (openssl)
    execFileSync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(fakeRoot, "etc/nginx/tls/emission.crt"), "-days", "10", "-subj", "/CN=emission.test"], { stdio: "ignore" });
  supervisorConf = path.join(dir, "supervisord.conf");
  fs.writeFileSync(
    supervisorConf,
    [
      "[unix_http_server]",
      `file=${dir}/supervisor.sock`,
      "[supervisord]",
      `pidfile=${dir}/supervisord.pid`,
      `logfile=${dir}/supervisord.log`,
      `childlogdir=${dir}`,
      "user=root",
      "[rpcinterface:supervisor]",
      "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
      "[supervisorctl]",
      `serverurl=unix://${dir}/supervisor.sock`,
      "[program:emissionpy]",
      "command=sleep 600",
      "startsecs=0",
      "[program:jupyter]",
      "command=sleep 600",
      "autostart=false",
      "",
    ].join("\n").replace("user=root\n", process.getuid?.() === 0 ? "user=root\n" : ""),
  );
  if (supervisord) {
    execFileSync(supervisord, ["-c", supervisorConf]);
    const deadline = Date.now() + 15_000;
    let last = "";
    while (Date.now() < deadline) {
      last = spawnSync("supervisorctl", ["-c", supervisorConf, "status", "emissionpy"], { encoding: "utf8" }).stdout;
      if (/RUNNING/.test(last)) break;
      spawnSync("sleep", ["0.2"]);
    }
    if (!/RUNNING/.test(last)) throw new Error(`supervisord did not start emissionpy within 15 s; last status: ${last}`);
  }
});

afterAll(() => {
  const pidFile = path.join(dir, "supervisord.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && fs.existsSync(pidFile)) spawnSync("sleep", ["0.2"]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test("volumes: mounted where declared; a LUKS volume only from its opened mapping", () => {
  const { samples } = collect();
  expect(samples.get('multitier_volume_mounted{encrypted="false",mountpoint="/code",volume="code"}')).toBe(1);
  expect(samples.get('multitier_volume_mounted{encrypted="true",mountpoint="/log",volume="log"}')).toBe(1);
  expect(samples.get('multitier_volume_mounted{encrypted="true",mountpoint="/data",volume="data"}')).toBe(0);
  expect(samples.get('multitier_volume_mounted{encrypted="true",mountpoint="/journal",volume="journal"}')).toBe(0);
  expect(samples.get('multitier_volume_mounted{encrypted="false",mountpoint="/with space",volume="spaced"}')).toBe(1);
  expect(samples.get('multitier_volume_luks_open{volume="log"}')).toBe(1);
  expect(samples.get('multitier_volume_luks_open{volume="data"}')).toBe(1);
  expect(samples.get('multitier_volume_luks_open{volume="journal"}')).toBe(0);
  expect(samples.has('multitier_volume_luks_open{volume="code"}')).toBe(false);
});

test("volumes: this machine's real mountinfo (its root filesystem is mounted, a made-up point is not)", () => {
  const out = execFileSync("python3", [COLLECTOR, "--config", writeConfig({ volumes: { root: { mountPoint: "/", encryption: "none" }, nowhere: { mountPoint: "/nonexistent-multitier", encryption: "none" } }, checks: {} }), "--output", "-", "--chrony-tracking", "/dev/null"], { encoding: "utf8" });
  expect(out).toContain('multitier_volume_mounted{encrypted="false",mountpoint="/",volume="root"} 1\n');
  expect(out).toContain('multitier_volume_mounted{encrypted="false",mountpoint="/nonexistent-multitier",volume="nowhere"} 0\n');
});

(supervisord ? test : test.skip)("services: a running supervisord program is up, a stopped one and an unknown one are down", () => {
  const { samples } = collect();
  expect(samples.get('multitier_service_up{manager="supervisord",service="emissionpy"}')).toBe(1);
  expect(samples.get('multitier_service_up{manager="supervisord",service="jupyter"}')).toBe(0);
  expect(samples.get('multitier_service_up{manager="none",service="not-a-service"}')).toBe(0);
  expect([...samples.keys()].some((k) => k.includes("elsewhere"))).toBe(false); // another tier's checks
  execFileSync("supervisorctl", ["-c", supervisorConf, "stop", "emissionpy"]);
  expect(collect().samples.get('multitier_service_up{manager="supervisord",service="emissionpy"}')).toBe(0);
  execFileSync("supervisorctl", ["-c", supervisorConf, "start", "emissionpy"]);
  expect(collect().samples.get('multitier_service_up{manager="supervisord",service="emissionpy"}')).toBe(1);
});

test("pipelines: multitier-job records a success, not a failure, and passes the exit status on", () => {
  const env = { ...process.env, MULTITIER_PIPELINE_DIR: path.join(fakeRoot, "var/lib/multitier/pipelines") };
  expect(collect().samples.get('multitier_pipeline_last_success_timestamp_seconds{pipeline="intake"}')).toBe(0);
  const before = Math.floor(Date.now() / 1000);
  expect(spawnSync(JOB, ["intake", "echo ran; test -d /"], { env, encoding: "utf8" }).status).toBe(0);
  const stamp = collect().samples.get('multitier_pipeline_last_success_timestamp_seconds{pipeline="intake"}')!;
  expect(stamp).toBeGreaterThanOrEqual(before);
  expect(stamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  const failed = spawnSync(JOB, ["other", "exit 3"], { env, encoding: "utf8" });
  expect(failed.status).toBe(3);
  spawnSync(JOB, ["intake", "exit 1"], { env });
  const after = collect().samples;
  expect(after.get('multitier_pipeline_last_success_timestamp_seconds{pipeline="other"}')).toBe(0);
  expect(after.get('multitier_pipeline_last_success_timestamp_seconds{pipeline="intake"}')).toBe(stamp);
  expect(fs.readdirSync(path.join(fakeRoot, "var/lib/multitier/pipelines"))).toEqual(["intake.last-success"]);
  expect(spawnSync(JOB, ["bad/name", "true"], { env, encoding: "utf8" }).status).toBe(64);
});

(openssl ? test : test.skip)("certificates: the expiry date from openssl x509 -enddate; a missing file is unreadable", () => {
  const { samples } = collect();
  const expiry = samples.get('multitier_tls_certificate_expiry_timestamp_seconds{path="/etc/nginx/tls/emission.crt"}')!;
  const tenDays = Date.now() / 1000 + 10 * 86400;
  expect(Math.abs(expiry - tenDays)).toBeLessThan(3600);
  expect(samples.get('multitier_tls_certificate_readable{path="/etc/nginx/tls/emission.crt"}')).toBe(1);
  expect(samples.get('multitier_tls_certificate_readable{path="/etc/missing.crt"}')).toBe(0);
  expect(samples.has('multitier_tls_certificate_expiry_timestamp_seconds{path="/etc/missing.crt"}')).toBe(false);
});

test("clock: chrony's system time offset, and whether it is synchronised", () => {
  const ok = collect().samples;
  expect(ok.get("multitier_clock_offset_seconds")).toBeCloseTo(-0.000012345, 12);
  expect(ok.get("multitier_clock_synchronized")).toBe(1);
  const unsync = collect([], TRACKING_UNSYNC).samples;
  expect(unsync.get("multitier_clock_synchronized")).toBe(0);
  const garbage = collect([], "506 Cannot talk to daemon\n").samples;
  expect(garbage.get("multitier_clock_synchronized")).toBe(0);
  expect(garbage.has("multitier_clock_offset_seconds")).toBe(false);
});

(promtool ? test : test.skip)("the output passes promtool check metrics and is written atomically (no temp file left)", () => {
  const { out } = collect();
  const r = runTool(promtool!, ["check", "metrics"], { input: out });
  expect(r.out).toBe("");
  expect(r.status).toBe(0);
  expect(fs.readdirSync(path.join(fakeRoot, "var/lib/prometheus/node-exporter"))).toEqual(["multitier.prom"]);
  // and promtool does catch a malformed exposition (the check can fail)
  expect(runTool(promtool!, ["check", "metrics"], { input: out.replace("# TYPE multitier_volume_mounted gauge", "# TYPE multitier_volume_mounted gauge\n# TYPE multitier_volume_mounted counter") }).status).not.toBe(0);
});

test("a missing or broken configuration is one line on stderr and exit 1", () => {
  const r = spawnSync("python3", [COLLECTOR, "--config", path.join(dir, "nope.json"), "--output", "-"], { encoding: "utf8" });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(/^textfile-collector: .*nope\.json: /);
});
