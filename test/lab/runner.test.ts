/**
 * The runner against the lab: real sshd hosts behind a real bastion (lab/), through the real
 * CLI (bin/multitier.js). One lab for the whole file, always torn down.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { isRoot, recapOf, startLab, type Lab } from "./harness";

const maybe = isRoot ? describe : describe.skip;
if (!isRoot) console.log("lab tests skipped: they need root on Linux (network namespaces, mounts)");

maybe("runner through the bastion (lab)", () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab("rt", { kind: "overlay" }); // the runner against sshd: the tools of this machine suffice
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
  });

  test("ping reaches every host through the bastion", async () => {
    const r = await lab.cli(["ping", "--env", "lab"]);
    expect(r.code).toBe(0);
    for (const h of ["database", "webapp", "analysis", "notebook"]) expect(r.stdout).toMatch(new RegExp(`^${h}\\s+ok\\s+${h} `, "m"));
  });

  test("the private subnet is reachable only through the bastion", async () => {
    const db = lab.host("database");
    // from the controller: the lab's ranges are routed nowhere (no packet leaves the machine)
    const outcome = await new Promise<string>((resolve) => {
      const sock = net.connect({ host: db.address, port: 22, timeout: 1500 });
      sock.on("connect", () => (sock.destroy(), resolve("connected")));
      sock.on("timeout", () => (sock.destroy(), resolve("timeout")));
      sock.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(outcome).toBe("EHOSTUNREACH");
    // from a public-tier host: the bastion does not forward, so a direct connection times out
    const direct = lab.sh("webapp", `timeout 2 bash -c '</dev/tcp/${db.address}/22' 2>/dev/null && echo open || echo closed`);
    expect(direct.trim()).toBe("closed");
    // through the bastion it works (the runner's way)
    const r = await lab.cli(["ping", "--env", "lab", "--limit", "database"]);
    expect(r.code).toBe(0);
  });

  test("every module: first run changes, second run 0 changed, handler exactly once", async () => {
    const first = await lab.cli(["deploy", "everything", "--env", "lab"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(recapOf(first.stdout, "webapp")).toEqual([1, 14, 0, 0, 0]);
    const second = await lab.cli(["deploy", "everything", "--env", "lab", "--json"]);
    expect(second.code).toBe(0);
    const recap = JSON.parse(second.stdout.trim().split("\n").pop()!);
    expect(recap.event).toBe("recap");
    expect(recap.hosts.webapp).toEqual({ ok: 14, changed: 0, failed: 0, unreachable: 0, skipped: 0 });
    expect(recap.hosts.analysis.changed).toBe(0);
    // the handler was notified by two tasks in the first run, and ran once
    expect(lab.sh("webapp", "cat /srv/mt/handler.log")).toBe("restarted\n");
    // what the modules made, seen from inside the host
    expect(lab.sh("webapp", "cat /srv/mt/motd")).toBe("Welcome to webapp (webapp tier of lab).\nOwner: webapp\n");
    expect(lab.sh("webapp", "stat -c %a /srv/mt/inline.txt").trim()).toBe("600");
    expect(lab.sh("webapp", "readlink /srv/mt/link").trim()).toBe("/srv/mt/motd");
    expect(lab.sh("webapp", "git -C /srv/mt/checkout describe --tags").trim()).toBe("v1");
    expect(lab.sh("webapp", "crontab -l -u mtsvc")).toContain("*/10 * * * * echo ten >> /tmp/cron.log");
    expect(lab.sh("webapp", "getent passwd mtsvc").split(":")[6].trim()).toBe("/usr/sbin/nologin");
  }, 60_000);

  test("--check changes nothing (checksums) and reports what would change; --diff shows it", async () => {
    const before = lab.checksums("webapp", "/srv/mt");
    lab.sh("webapp", "echo tampered > /srv/mt/motd");
    const tampered = lab.checksums("webapp", "/srv/mt");
    const r = await lab.cli(["deploy", "everything", "--env", "lab", "--check", "--diff", "--limit", "webapp"]);
    expect(r.code).toBe(0);
    expect(lab.checksums("webapp", "/srv/mt")).toBe(tampered);
    expect(r.stdout).toMatch(/changed\s+a rendered file — \(check\) update \/srv\/mt\/motd/);
    expect(r.stdout).toContain("-tampered");
    expect(r.stdout).toContain("+Welcome to webapp (webapp tier of lab).");
    const fix = await lab.cli(["deploy", "everything", "--env", "lab", "--limit", "webapp"]);
    expect(fix.code).toBe(0);
    expect(lab.checksums("webapp", "/srv/mt").split("\n").filter((l) => !l.includes("handler.log"))).toEqual(before.split("\n").filter((l) => !l.includes("handler.log")));
  }, 60_000);

  test("an unreachable host is reported (exit 4) while the others finish", async () => {
    lab.sh("analysis", "kill $(cat /run/sshd.pid)");
    try {
      const r = await lab.cli(["deploy", "everything", "--env", "lab"]);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/analysis\s+UNREACHABLE .*analysis \(10\.213\.0\.\d+\) unreachable/);
      expect(recapOf(r.stdout, "webapp")).toEqual([14, 0, 0, 0, 0]);
      expect(recapOf(r.stdout, "analysis")).toEqual([0, 0, 0, 1, 0]);
    } finally {
      lab.sh("analysis", "/usr/sbin/sshd -f /etc/ssh/lab/sshd_config");
    }
  }, 60_000);

  test("a changed host key is refused before any command runs", async () => {
    const kh = path.join(lab.dir, "lab.known_hosts");
    const original = fs.readFileSync(kh, "utf8");
    const webapp = lab.host("webapp");
    const other = original.split("\n").find((l) => l.startsWith(lab.host("database").address + " "))!.split(" ").slice(1).join(" ");
    fs.writeFileSync(kh, original.replace(new RegExp(`^${webapp.address.replace(/\./g, "\\.")} .*$`, "m"), `${webapp.address} ${other}`));
    lab.sh("webapp", "echo before > /srv/mt/motd");
    try {
      const r = await lab.cli(["deploy", "everything", "--env", "lab", "--limit", "webapp"]);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/host key of webapp \(10\.213\.0\.\d+\) has CHANGED: expected SHA256:\S+, offered ssh-ed25519 SHA256:\S+/);
      expect(lab.sh("webapp", "cat /srv/mt/motd")).toBe("before\n");
    } finally {
      fs.writeFileSync(kh, original);
    }
  }, 60_000);

  test("an unknown host key is refused unless --accept-new-host-keys, which records it", async () => {
    const kh = path.join(lab.dir, "lab.known_hosts");
    const original = fs.readFileSync(kh, "utf8");
    const nb = lab.host("notebook").address;
    fs.writeFileSync(kh, original.split("\n").filter((l) => !l.startsWith(nb + " ")).join("\n"));
    try {
      const refused = await lab.cli(["ping", "--env", "lab", "--limit", "notebook"]);
      expect(refused.code).toBe(4);
      expect(refused.stdout).toMatch(/unknown host key of notebook .* is not in .*lab\.known_hosts/);
      const accepted = await lab.cli(["ping", "--env", "lab", "--limit", "notebook", "--accept-new-host-keys"]);
      expect(accepted.code).toBe(0);
      expect(accepted.stderr).toMatch(/recorded the host key of notebook/);
      expect(fs.readFileSync(kh, "utf8")).toContain(`${nb} ssh-ed25519 `);
    } finally {
      fs.writeFileSync(kh, original);
    }
  }, 60_000);

  test("a template with an unknown variable fails before anything is written", async () => {
    const tdir = path.join(lab.dir, "templates-bad");
    fs.cpSync(lab.env.MULTITIER_TEMPLATES_DIR!, tdir, { recursive: true });
    fs.appendFileSync(path.join(tdir, "motd.hbs"), "Extra: {{no_such.variable}}\n");
    lab.sh("webapp", "rm -f /srv/mt/inline.txt /srv/mt/conf");
    const before = lab.checksums("webapp", "/srv/mt");
    const r = await lab.cli(["deploy", "everything", "--env", "lab", "--limit", "webapp"], { MULTITIER_TEMPLATES_DIR: tdir });
    // found before connecting (runner/preflight.ts): one line, exit 1, nothing sent
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\S*motd\.hbs:3:\d+ no_such\.variable: expected variable "no_such" under vars: in \S*lab\.yaml \(tier \w+ uses it here\), got nothing\n$/);
    expect(lab.checksums("webapp", "/srv/mt")).toBe(before);
  }, 60_000);

  test("a connection cut during an upload leaves the old or the new file, never a part", async () => {
    const tdir = path.join(lab.dir, "templates-big");
    fs.cpSync(lab.env.MULTITIER_TEMPLATES_DIR!, tdir, { recursive: true });
    const big = "x".repeat(120) + "\n";
    fs.writeFileSync(path.join(tdir, "motd.hbs"), big.repeat(150_000)); // ~18 MB
    const oldSum = lab.sh("analysis", "sha256sum /srv/mt/motd").split(" ")[0];
    const run = lab.cli(["deploy", "everything", "--env", "lab", "--limit", "analysis"], { MULTITIER_TEMPLATES_DIR: tdir });
    await new Promise((r) => setTimeout(r, 700));
    lab.sh("analysis", "ip link set eth0 down");
    const r = await run;
    lab.sh("analysis", "ip link set eth0 up");
    const sum = lab.sh("analysis", "sha256sum /srv/mt/motd").split(" ")[0];
    const newSum = require("crypto").createHash("sha256").update(big.repeat(150_000)).digest("hex");
    expect([oldSum, newSum]).toContain(sum);
    expect(r.code === 0 || r.code === 2 || r.code === 4).toBe(true);
    // the next run converges and leaves no temp file behind
    const again = await lab.cli(["deploy", "everything", "--env", "lab", "--limit", "analysis"], { MULTITIER_TEMPLATES_DIR: tdir });
    expect(again.code).toBe(0);
    expect(lab.sh("analysis", "ls -a /srv/mt | grep -c '^.multitier-' || true").trim()).toBe("0");
  }, 120_000);
});
