/**
 * Faults against the lab (real sshd, real kernel links, real xfs volumes). Every case checks,
 * through `afterFault`: a message naming host and task, the exit code, the other hosts
 * unaffected, no file partly written on any host (each managed file has its old or its new
 * checksum, never a third one), no temp file left, the data on every volume intact, and that
 * the next run converges with no manual step (exit 0, then a run with nothing to change).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { startChild } from "../../lab/child";
import { BOOTSTRAP } from "../../runner/agent/client";
import { isRoot, recapOf, ROOT, startLab, type Lab } from "../lab/harness";

const maybe = isRoot ? describe : describe.skip;
const FIX = path.join(__dirname, "fixtures");
const HOSTS = ["database", "webapp", "analysis", "notebook"];
const BIG = "y".repeat(100) + "\n";
const BIG_TEXT = BIG.repeat(40_000); // 4 MB: an upload long enough to cut in the middle

const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** what faults.yml writes on a host: path → sha256 of the new content */
const newContent = (host: string): Record<string, string> => ({
  "/srv/f/small.txt": sha(`small ${host}\n`),
  "/srv/f/big.txt": sha(BIG_TEXT),
  "/srv/f/slept": sha(""),
  "/srv/f/last.txt": sha(`last ${host}\n`),
});

/** pids of every process in a lab host's network namespace except its namespace holder */
function nsPids(lab: Lab, host: string): string[] {
  const h = lab.host(host);
  const holder = fs.readFileSync(path.join(h.dir, "holder.pid"), "utf8").trim();
  return execFileSync("ip", ["netns", "pids", h.ns], { encoding: "utf8" })
    .split("\n")
    .filter((p) => p && p !== holder);
}

/**
 * SIGKILL every process of a host: on an overlay host (the bastion) all of them but the
 * namespace holder; on a systemd host sshd and everything it started (the ssh.service and
 * session cgroups: the listener, the connections, the agent and its children) — the host's
 * systemd and its system services stay, as when sshd is killed on a real server.
 */
function killAll(lab: Lab, host: string): void {
  const systemd = lab.host(host).kind === "systemd";
  const ofSshd = (pid: string) => {
    try {
      return /\/system\.slice\/ssh\.service|\/user\.slice\//.test(fs.readFileSync(`/proc/${pid}/cgroup`, "utf8"));
    } catch {
      return false; // gone meanwhile
    }
  };
  for (const pid of nsPids(lab, host).filter((p) => !systemd || ofSshd(p)))
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
}
const startSshd = (lab: Lab, host: string) => execFileSync("bash", [path.join(ROOT, "lab", "sshd.sh"), "start", lab.host(host).dir]);

/** the program the agent's python3 runs (its bootstrap's -c argument): on its command line */
const AGENT_CODE = /-c '(.*)'$/.exec(BOOTSTRAP)![1];

/** pids in a lab host whose command line holds `text` */
function pidsWith(lab: Lab, host: string, text: string): string[] {
  return nsPids(lab, host).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** agent processes (python3 reading its program from stdin, or the sudo before it) left in any lab host */
function agentsLeft(lab: Lab): string[] {
  return HOSTS.flatMap((h) => pidsWith(lab, h, AGENT_CODE).map((pid) => `${h}:${pid}`));
}

/** start the CLI; `done` resolves when it exits; `waitFor` resolves when stdout matches */
function run(lab: Lab, args: string[]) {
  const c = startChild(path.join(ROOT, "bin", "multitier.js"), args, { cwd: ROOT, env: lab.env });
  // a systemd host on a loaded machine may take a while to reach a task's line
  return { ...c, waitFor: (re: RegExp, ms = 120_000) => c.waitFor(re, ms) };
}

/** host → "path sha" map of the managed files, and of the data on its volumes */
interface Snapshot {
  files: Record<string, Record<string, string>>;
  volumes: Record<string, string>;
}

maybe("faults (lab)", () => {
  let lab: Lab;
  const checksumMap = (host: string, dir: string): Record<string, string> =>
    Object.fromEntries(
      lab
        .checksums(host, dir)
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/).reverse()),
    );
  const snapshot = (): Snapshot => ({
    files: Object.fromEntries(HOSTS.map((h) => [h, { ...checksumMap(h, "/srv/f"), ...checksumMap(h, "/log/app") }])),
    volumes: Object.fromEntries(HOSTS.map((h) => [h, lab.sh(h, "find /data /journal /log /code /notebooks -path '*/canary/*' -type f -exec sha256sum {} + 2>/dev/null | sort -k2; true")])),
  });
  const leftovers = () => lab.state.hosts.flatMap((h) => execFileSync("find", [path.join(h.dir, "upper"), "-name", ".multitier-*"], { encoding: "utf8" }).split("\n").filter(Boolean));

  /**
   * What every fault must leave behind: each managed file whole (its checksum before the run or
   * its new one), the volumes' data unchanged, no temp file, no agent left running.
   */
  const expectNothingBroken = async (before: Snapshot, extraNew: Record<string, Record<string, string>> = {}, tempsLeft = false) => {
    const after = snapshot();
    for (const h of HOSTS) {
      for (const [file, hash] of Object.entries(after.files[h])) {
        if (tempsLeft && path.basename(file).startsWith(".multitier-")) continue; // checked by the caller
        const allowed = [before.files[h][file], newContent(h)[file], extraNew[h]?.[file]].filter(Boolean);
        expect({ host: h, file, whole: allowed.includes(hash) }).toEqual({ host: h, file, whole: true });
      }
    }
    expect(after.volumes).toEqual(before.volumes);
    if (!tempsLeft) expect(leftovers()).toEqual([]);
    for (let i = 0; i < 50 && agentsLeft(lab).length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(agentsLeft(lab)).toEqual([]);
  };

  /** the next run converges with no manual step: exit 0, the files as declared, then nothing to change */
  const expectConverges = async (playbook: string, limit?: string) => {
    const args = ["deploy", playbook, "--env", "lab", ...(limit ? ["--limit", limit] : [])];
    const again = await run(lab, args).done;
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: "" });
    const noop = await run(lab, args).done;
    expect(noop.code).toBe(0);
    for (const h of limit ? limit.split(",") : HOSTS) expect(recapOf(noop.stdout, h)?.[1]).toBe(0);
  };

  const reset = () => {
    for (const h of HOSTS) lab.sh(h, "rm -rf /srv/f /srv/after-handler");
  };

  beforeAll(async () => {
    lab = await startLab("rf", { playbooks: path.join(FIX, "playbooks") });
    const templates = path.join(lab.dir, "templates");
    fs.cpSync(path.join(FIX, "templates"), templates, { recursive: true });
    fs.writeFileSync(path.join(templates, "big.hbs"), BIG_TEXT);
    lab.env.MULTITIER_TEMPLATES_DIR = templates;
    // real volumes (xfs on the lab's loop devices, mounted), each holding some data to keep
    const storage = await run(lab, ["deploy", "storage", "--env", "lab"]).done;
    if (storage.code !== 0) throw new Error(`storage setup failed:\n${storage.stdout}${storage.stderr}`);
    for (const h of HOSTS) lab.sh(h, "for m in /data /journal /log /code /notebooks; do [ -d $m ] || continue; mkdir -p $m/canary && head -c 65536 /dev/urandom > $m/canary/blob && echo keep > $m/canary/note; done");
  }, 900_000);
  afterAll(async () => {
    await lab?.down();
  });

  test("a target's sshd killed mid-run: that host unreachable naming the task (exit 4), others finish, rerun converges", async () => {
    reset();
    const before = snapshot();
    const r = run(lab, ["deploy", "faults", "--env", "lab"]);
    await r.waitFor(/analysis\s+changed\s+big template/);
    killAll(lab, "analysis");
    const res = await r.done;
    expect(res.code).toBe(4);
    expect(res.stdout).toMatch(/analysis\s+unreachable\s+slow step — connection lost during task "slow step" \(faults: faults workload\)/);
    for (const h of ["database", "webapp", "notebook"]) expect(recapOf(res.stdout, h)).toEqual([0, 5, 0, 0, 0]);
    expect(recapOf(res.stdout, "analysis")?.[3]).toBe(1);
    startSshd(lab, "analysis");
    await expectNothingBroken(before);
    await expectConverges("faults");
  }, 120_000);

  test("the bastion dropped mid-run (all its sshd killed): every host unreachable within 30 s, no hang; rerun converges", async () => {
    reset();
    const before = snapshot();
    const r = run(lab, ["deploy", "faults", "--env", "lab"]);
    await r.waitFor(/changed\s+big template/);
    const killedAt = Date.now();
    killAll(lab, "bastion");
    const res = await r.done;
    expect((Date.now() - killedAt) / 1000).toBeLessThanOrEqual(30);
    expect(res.code).toBe(4);
    for (const h of HOSTS) {
      expect(recapOf(res.stdout, h)?.[3]).toBe(1);
      expect(res.stdout).toMatch(new RegExp(`^  ${h}\\s+unreachable\\s+(\\S.*) — connection lost during task "[^"]+"`, "m"));
    }
    startSshd(lab, "bastion");
    await expectNothingBroken(before);
    await expectConverges("faults");
  }, 150_000);

  test("a target's network link set down during a template upload: that host unreachable within 30 s, old or new file only, others finish; rerun converges", async () => {
    reset();
    lab.sh("notebook", "mkdir -p /srv/f && echo old > /srv/f/big.txt");
    const before = snapshot();
    const r = run(lab, ["deploy", "faults", "--env", "lab"]);
    await r.waitFor(/notebook\s+changed\s+small file/);
    // the host's own link, from the machine (`ip` is not in a minimal Debian root)
    const link = (state: string) => execFileSync("ip", ["-n", lab.host("notebook").ns, "link", "set", "eth0", state]);
    link("down");
    const downAt = Date.now();
    const res = await r.done;
    link("up");
    // the kernel dropped the default route with the link: put it back as the host's network
    // setup made it (its gateway is .1 of its /24), or the host can no longer reach the apt proxy
    const gateway = lab.host("notebook").address.replace(/\.\d+$/, ".1");
    execFileSync("ip", ["-n", lab.host("notebook").ns, "route", "replace", "default", "via", gateway]);
    expect((Date.now() - downAt) / 1000).toBeLessThanOrEqual(30);
    // the upload may have finished before the link went down: then a later task notices
    expect(res.code).toBe(4);
    expect(res.stdout).toMatch(/notebook\s+unreachable\s+\S.* — connection lost during task "(big template|slow step|last file)"/);
    for (const h of ["database", "webapp", "analysis"]) expect(recapOf(res.stdout, h)).toEqual([0, 5, 0, 0, 0]);
    // the notebook's sshd learns of the dead connection only later (the bastion's retransmitted
    // FIN once the link is back, or its ClientAliveInterval): its agent ends then, leaving no temp file
    for (let i = 0; i < 600 && agentsLeft(lab).length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    await expectNothingBroken(before);
    await expectConverges("faults");
  }, 150_000);

  test("the /log volume full so a template write fails: host and task named (exit 2), old file intact, others unaffected; rerun converges once space is freed", async () => {
    for (const h of HOSTS) lab.sh(h, "mkdir -p /log/app && echo old-config > /log/app/app.conf");
    // fill the real xfs /log volume of the webapp (fallocate: instant, and the loop image stays sparse)
    lab.sh("webapp", "fallocate -l $(( $(stat -f -c '%a*%S' /log) - 4096 )) /log/filler 2>/dev/null; dd if=/dev/zero of=/log/filler2 bs=4k 2>/dev/null; true");
    const before = snapshot();
    try {
      const res = await run(lab, ["deploy", "full", "--env", "lab"]).done;
      expect(res.code).toBe(2);
      expect(res.stdout).toMatch(/webapp\s+failed\s+config on the log volume — .*No space left on device/);
      for (const h of ["database", "analysis", "notebook"]) expect(recapOf(res.stdout, h)).toEqual([0, 1, 0, 0, 0]);
      expect(lab.sh("webapp", "cat /log/app/app.conf")).toBe("old-config\n");
      const wrote = Object.fromEntries(HOSTS.map((h) => [h, { "/log/app/app.conf": sha("new-config\n") }]));
      await expectNothingBroken(before, wrote);
    } finally {
      lab.sh("webapp", "rm -f /log/filler /log/filler2");
    }
    await expectConverges("full");
    expect(lab.sh("webapp", "cat /log/app/app.conf")).toBe("new-config\n");
  }, 120_000);

  test("a handler's service fails to restart: that host fails and runs nothing more; other hosts go on to later plays (exit 2)", async () => {
    reset();
    const before = snapshot();
    const res = await run(lab, ["deploy", "handlers", "--env", "lab"]).done;
    expect(res.code).toBe(2);
    expect(res.stdout).toMatch(/webapp\s+failed\s+handler: restart flaky — restart flaky failed/);
    expect(res.stdout).toMatch(/analysis\s+changed\s+handler: restart flaky/);
    expect(recapOf(res.stdout, "webapp")?.[2]).toBe(1);
    expect(recapOf(res.stdout, "analysis")?.[2]).toBe(0);
    // as in Ansible: the failed host is out of the rest of the run, the others run the later play
    expect(lab.sh("webapp", "test -e /srv/after-handler && echo yes || echo no").trim()).toBe("no");
    expect(lab.sh("analysis", "cat /srv/after-handler")).toBe("ran\n");
    await expectNothingBroken(before);
    // the rerun: the config is already in place, so (as in Ansible) the handler is not notified
    // again; the later play now runs on the webapp too
    const again = await run(lab, ["deploy", "handlers", "--env", "lab"]).done;
    expect(again.code).toBe(0);
    expect(lab.sh("webapp", "cat /srv/after-handler")).toBe("ran\n");
  }, 120_000);

  test("Ctrl-C (SIGINT) during a run: stops after what is in flight, prints the recap so far, no temp file or agent left on any host (exit 130); rerun converges", async () => {
    reset();
    const before = snapshot();
    const r = run(lab, ["deploy", "faults", "--env", "lab"]);
    await r.waitFor(/changed\s+big template/);
    r.child.kill("SIGINT");
    const res = await r.done;
    expect(res.code).toBe(130);
    expect(res.stdout).toContain("INTERRUPTED: stopping after the operations in flight");
    expect(res.stdout).toMatch(/RECAP \([\d.]+s\)/);
    for (const h of HOSTS) expect(recapOf(res.stdout, h)).toBeDefined();
    expect(res.stdout).not.toMatch(/last file/); // nothing started after the interrupt
    await expectNothingBroken(before);
    await expectConverges("faults");
  }, 120_000);

  test("a package that does not exist: only that host fails, with apt's error in one line (exit 2); the others install theirs and go on", async () => {
    const res = await run(lab, ["deploy", "packages", "--env", "lab"]).done;
    if (res.code !== 2) console.log(`packages run:\n${res.stdout}${res.stderr}`);
    expect(res.code).toBe(2);
    const failed = res.stdout.split("\n").filter((l) => /^\s+webapp\s+failed\s/.test(l));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/webapp\s+failed\s+tools \(the webapp's list names a package that does not exist\) — command failed \(rc 100\): E: Unable to locate package multitier-no-such-package \(/);
    expect(recapOf(res.stdout, "webapp")?.[2]).toBe(1);
    for (const h of ["database", "analysis", "notebook"]) {
      expect(recapOf(res.stdout, h)?.[2]).toBe(0);
      expect(lab.sh(h, "dpkg-query -W -f='${db:Status-Status}' cron").trim()).toBe("installed");
      expect(lab.sh(h, "cat /srv/after-packages")).toBe("ran\n");
    }
    // apt installs all of a list or nothing: cron is not there either, and the play stopped
    expect(lab.sh("webapp", "dpkg-query -W -f='${db:Status-Status}' cron 2>/dev/null || echo absent").trim()).not.toBe("installed");
    expect(lab.sh("webapp", "test -e /srv/after-packages && echo yes || echo no").trim()).toBe("no");
  }, 300_000);

  test("a host key changed between runs: refused before any command, other hosts unaffected (exit 4)", async () => {
    reset();
    const kh = path.join(lab.dir, "lab.known_hosts");
    const original = fs.readFileSync(kh, "utf8");
    const db = lab.host("database").address;
    const other = original.split("\n").find((l) => l.startsWith(lab.host("webapp").address + " "))!.split(" ").slice(1).join(" ");
    fs.writeFileSync(kh, original.replace(new RegExp(`^${db.replace(/\./g, "\\.")} .*$`, "m"), `${db} ${other}`));
    const before = snapshot();
    const sshdLog = lab.host("database").kind === "systemd" ? "journalctl -q --no-pager -u ssh" : "cat /var/log/lab-sshd.log";
    const accepted = () => lab.sh("database", `${sshdLog} | grep -c 'Accepted publickey' || true`).trim();
    const acceptedBefore = accepted();
    try {
      const res = await run(lab, ["deploy", "faults", "--env", "lab"]).done;
      expect(res.code).toBe(4);
      expect(res.stdout).toMatch(/database\s+UNREACHABLE host key of database \(10\.213\.1\.\d+\) has CHANGED: expected SHA256:\S+, offered ssh-ed25519 SHA256:\S+/);
      expect(lab.sh("database", "test -e /srv/f && echo yes || echo no").trim()).toBe("no");
      // refused before authenticating: the host's sshd accepted no key during this run
      expect(accepted()).toBe(acceptedBefore);
      for (const h of ["webapp", "analysis", "notebook"]) expect(recapOf(res.stdout, h)).toEqual([0, 5, 0, 0, 0]);
      await expectNothingBroken(before);
    } finally {
      fs.writeFileSync(kh, original);
    }
    await expectConverges("faults");
  }, 120_000);

  test("the controller killed outright (SIGKILL) with template uploads in flight: agents end on their own, files old or new; the agent killed with it mid-write leaves a temp file and a lock record, which the next run removes and takes over (saying so); rerun converges", async () => {
    reset();
    lab.sh("analysis", "rm -f /srv/gate-killed");
    const analysisDir = lab.host("analysis").dir;
    const before = snapshot();
    const r = run(lab, ["deploy", "killed", "--env", "lab"]);
    // the analysis host mid-write (its validate waits for a gate: the temp file in place), a big
    // template done on another host while the rest are in flight
    for (let i = 0; i < 600 && !leftovers().some((f) => f.startsWith(analysisDir)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    await r.waitFor(/changed\s+big template/);
    r.child.kill("SIGKILL");
    // the analysis host's agent dies as well (with the validate it runs): as if the host lost it
    for (const pid of [...pidsWith(lab, "analysis", AGENT_CODE), ...pidsWith(lab, "analysis", "/srv/gate-killed")]) execFileSync("kill", ["-9", pid]);
    const res = await r.done;
    expect(res.signal).toBe("SIGKILL");
    // the other agents end on their own once their channels close
    for (let i = 0; i < 300 && agentsLeft(lab).length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const gated = { analysis: { "/srv/f/gated.txt": sha("gated analysis\n") } };
    await expectNothingBroken(before, gated, true);
    expect(lab.sh("analysis", "test -e /srv/f/gated.txt && echo yes || echo no").trim()).toBe("no"); // never renamed into place
    const stale = leftovers();
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((f) => f.startsWith(analysisDir))).toBe(true);
    // lock records: the killed agent's is left; the others released theirs on their way out
    const record = (h: string) => lab.sh(h, "cat /run/multitier/lock 2>/dev/null; true");
    expect(JSON.parse(record("analysis"))).toMatchObject({ command: "multitier deploy killed --env lab", pid: expect.any(Number) });
    for (const h of ["database", "webapp", "notebook"]) expect({ h, record: record(h) }).toEqual({ h, record: "" });
    lab.sh("analysis", "touch /srv/gate-killed");
    const again = await run(lab, ["deploy", "killed", "--env", "lab"]).done;
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: "" });
    expect(again.stdout).toMatch(/^  analysis\s+lock took over the lock left by \S+@\S+ \("multitier deploy killed --env lab", agent pid \d+\) since \S+: its agent ended without releasing it \(killed\)$/m);
    expect(leftovers()).toEqual([]); // the stale temp file removed by the next write in its directory
    expect(lab.sh("analysis", "cat /srv/f/gated.txt")).toBe("gated analysis\n");
    await expectNothingBroken(before, gated);
    await expectConverges("killed");
  }, 180_000);

  test("two operators deploy one service at once: exactly one changes each host, the other reports the lock in one line (exit 4); the crontab holds every job once; a --wait-lock run converges after the first ends", async () => {
    const crontab = (h: string) => lab.sh(h, "crontab -l -u root 2>/dev/null; true");
    const count = (text: string, s: string) => text.split("\n").filter((l) => l.includes(s)).length;
    const clear = () => HOSTS.forEach((h) => lab.sh(h, "rm -f /srv/gate-cron; crontab -r -u root 2>/dev/null; true"));
    const openGates = () => HOSTS.forEach((h) => lab.sh(h, "touch /srv/gate-cron"));
    clear();
    try {
      const a = run(lab, ["deploy", "cronjobs", "--env", "lab"]);
      const b = run(lab, ["deploy", "cronjobs", "--env", "lab"]);
      // every host decided in both runs (its block written, or refused) while the winner holds it
      const decided = (h: string) => new RegExp(`^  ${h}\\s+(changed\\s+jobs in the crontab|LOCKED )`, "m");
      for (const h of HOSTS) {
        await a.waitFor(decided(h), 60_000);
        await b.waitFor(decided(h), 60_000);
      }
      openGates();
      const [ra, rb] = await Promise.all([a.done, b.done]);
      for (const h of HOSTS) {
        const changed = [ra, rb].filter((r) => new RegExp(`^  ${h}\\s+changed\\s+jobs in the crontab`, "m").test(r.stdout));
        expect({ h, changed: changed.length }).toEqual({ h, changed: 1 });
        const other = changed[0] === ra ? rb : ra;
        const lines = other.stdout.split("\n").filter((l) => l.startsWith(`  ${h} `));
        expect(lines).toHaveLength(1); // one line, and nothing else done on that host
        expect(lines[0]).toMatch(new RegExp(`^  ${h}\\s+LOCKED held by \\S+@\\S+ \\("multitier deploy cronjobs --env lab", agent pid \\d+\\) for \\d+s; nothing changed on this host \\(--wait-lock <seconds> waits for it\\)$`));
        const tab = crontab(h);
        expect({ h, one: count(tab, "echo one"), two: count(tab, "echo two") }).toEqual({ h, one: 1, two: 1 });
        expect(lab.sh(h, "cat /run/multitier/lock")).toBe(""); // released by both
      }
      for (const r of [ra, rb]) expect(r.code).toBe(/LOCKED/.test(r.stdout) ? 4 : 0);

      // --wait-lock: a second operator's block, deployed while the first holds every host
      HOSTS.forEach((h) => lab.sh(h, "rm -f /srv/gate-cron"));
      const holder = run(lab, ["deploy", "cronjobs", "--env", "lab"]);
      for (const h of HOSTS) await holder.waitFor(new RegExp(`^  ${h}\\s+ok\\s+jobs in the crontab`, "m"), 60_000);
      const waiter = run(lab, ["deploy", "cronjobs2", "--env", "lab", "--wait-lock", "120"]);
      for (const h of HOSTS)
        await waiter.waitFor(new RegExp(`^  ${h}\\s+lock waiting up to 2m00s for the lock held by \\S+@\\S+ \\("multitier deploy cronjobs --env lab", agent pid \\d+\\) for \\d+s$`, "m"), 60_000);
      openGates();
      const [rh, rw] = await Promise.all([holder.done, waiter.done]);
      expect({ holder: rh.code, waiter: rw.code }).toEqual({ holder: 0, waiter: 0 });
      for (const h of HOSTS) {
        expect(rw.stdout).toMatch(new RegExp(`^  ${h}\\s+changed\\s+more jobs in the crontab`, "m"));
        const tab = crontab(h);
        expect({ h, one: count(tab, "echo one"), two: count(tab, "echo two"), three: count(tab, "echo three") }).toEqual({ h, one: 1, two: 1, three: 1 });
      }
      const noop = await run(lab, ["deploy", "cronjobs2", "--env", "lab"]).done;
      expect(noop.code).toBe(0);
      for (const h of HOSTS) expect(recapOf(noop.stdout, h)?.[1]).toBe(0);
    } finally {
      clear();
    }
  }, 240_000);
});
