/**
 * Every host-state reader from recorded outputs (issue 15.2, as pyinfra's tests/facts): the
 * answer a host gave in, the fact out. The fixtures under fixtures/ were recorded on a Debian
 * 12 machine (dpkg-query, apt-cache policy, findmnt -J, the block-device probe on a loop
 * device with ext4 and after wipefs); the short ones are written inline.
 */
import * as fs from "fs";
import * as path from "path";
import type { OpResult } from "../../runner/agent/protocol";
import { facts } from "../../runner/facts";
import { keyValues, outputTail } from "../../runner/facts/parse";

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const sh = (stdout: string, rc = 0, stderr = ""): OpResult => ({ ok: true, rc, stdout, stderr }) as OpResult;

test("the index names every reader once, each with its op and doc", () => {
  for (const [name, r] of Object.entries(facts)) {
    expect(r.name).toBe(name);
    expect(r.doc).toMatch(/\S/);
  }
  const natives = Object.values(facts).filter((r) => r.native).map((r) => r.name);
  expect(natives.sort()).toEqual(["account", "crontab", "file"]);
});

test("a failed op is an error naming what was read", () => {
  expect(() => facts.file.read({ ok: false, error: "PermissionError: /root" }, "stat /root/x")).toThrow("stat /root/x: PermissionError: /root");
  expect(() => facts.packages.read(undefined, "package query")).toThrow("no answer from the host for package query");
});

test("packages: dpkg-query and apt-cache policy as recorded", () => {
  const p = facts.packages.read(sh(fixture("dpkg-query.txt")), "q");
  expect([...p.installed].sort()).toEqual(["bash", "coreutils"]);
  const latest = facts.packages.read(sh(`${fixture("dpkg-query.txt")}--policy\n${fixture("apt-cache-policy.txt")}`), "q");
  expect([...latest.upgradable]).toEqual(["bash"]); // 5.2.15-2+b8 installed, +b13 candidate; coreutils is current
  expect(facts.packages.read(sh("installed:nginx\nupgradable:nginx\n"), "q")).toEqual({ installed: new Set(["nginx"]), upgradable: new Set(["nginx"]) });
});

test("service: supervisorctl and systemctl answers", () => {
  const sv = facts.service.read(sh("sv_rc=0\nsv=emissionpy                       RUNNING   pid 812, uptime 0:01:02\nsd=yes\nsd_active=active\nsd_enabled=enabled\n"), "s");
  expect(sv).toMatchObject({ supervisorState: "RUNNING", systemd: true, active: "active", enabled: "enabled" });
  // as recorded without supervisord running: not a state, so not managed
  const none = facts.service.read(sh("sv_rc=4\nsv=unix:///var/run/supervisor.sock no such file\n"), "s");
  expect(none).toMatchObject({ supervisorState: undefined, systemd: false, supervisorLine: "unix:///var/run/supervisor.sock no such file" });
  expect(facts.service.op({ name: "nginx", supervisord: false, systemd: false })).toEqual({ op: "sh", script: "true" });
});

test("checkout: absent, or head/url/want", () => {
  expect(facts.checkout.read(sh("absent=1\n"), "g").absent).toBe(true);
  const c = facts.checkout.read(sh(`head=${"a".repeat(40)}\nurl=https://x.invalid/r.git\nwant=\nerr=\n`), "g");
  expect(c).toEqual({ absent: false, head: "a".repeat(40), url: "https://x.invalid/r.git", want: "", err: "" });
});

test("blockDevice: ext4 on a loop device and the same device after wipefs, as recorded", () => {
  const ext4 = facts.blockDevice.read(sh(fixture("block-ext4.txt")), "b");
  expect(ext4).toMatchObject({ device: "/dev/loop13", blkidRc: 0, type: "ext4", uuid: "5efcf7f4-38a8-4116-89a6-8ff0137b3c29", wipefs: ["ext4 at 0x438"], luks: false, zeroStart: false, devnum: "7:13", mapperOpen: false });
  expect(ext4.noDeviceMapper).toBe("this kernel has no device-mapper (not in /proc/misc)");
  const blank = facts.blockDevice.read(sh(fixture("block-blank.txt")), "b");
  expect(blank).toMatchObject({ blkidRc: 2, type: undefined, uuid: undefined, wipefs: [], zeroStart: false });
  expect(facts.blockDevice.read(sh(""), "b")).toMatchObject({ device: "", blkidRc: -1 });
  const luks = facts.blockDevice.read(sh("dev=/dev/nvme2n1\nblkid_rc=0\nblkid=UUID=1 TYPE=crypto_LUKS \nluks=yes\nmapper=yes\nmapper_of=/dev/nvme2n1\ndm_control=yes\ndm_misc=yes\n"), "b");
  expect(luks).toMatchObject({ type: "crypto_LUKS", luks: true, mapperOpen: true, mapperOf: "/dev/nvme2n1", noDeviceMapper: undefined });
});

test("mountPoint: findmnt -J as recorded; nothing mounted", () => {
  expect(facts.mountPoint.read(sh(fixture("findmnt-root.json")), "m")).toEqual({ target: "/", source: "/dev/vda", fstype: "ext4", "vfs-options": "rw,relatime", "fs-options": "rw,discard,resv_strict,resuid=65534,resgid=65534", "maj:min": "254:0" });
  expect(facts.mountPoint.read(sh(""), "m")).toBeUndefined();
  expect(facts.dirEntries.read(sh("a\n.b\n"), "d")).toEqual(["a", ".b"]);
});

test("volumeDisks: one line per volume, - when not found", () => {
  expect([...facts.volumeDisks.read(sh("R data /dev/nvme1n1\nR log -\nnoise\n"), "r")]).toEqual([
    ["data", "/dev/nvme1n1"],
    ["log", "-"],
  ]);
});

test("the shared parsing: key=value (first value wins), output tails", () => {
  expect(keyValues("a=1\na=2\nb=x=y\nBad=3\n")).toEqual({ a: "1", b: "x=y" });
  expect(outputTail({ stderr: "one\ntwo\nthree\n" })).toBe("two | three");
  expect(outputTail({ stdout: "" })).toBe("no output");
});

test("health: the check's JSON line read; a check that could not run is an error naming why", () => {
  expect(facts.health.read(sh('{"passed": true, "tries": 2, "status": 200, "detail": "pong"}\n'), "h")).toEqual({ passed: true, tries: 2, status: 200, detail: "pong" });
  expect(facts.health.read(sh('{"passed": false, "tries": 3, "detail": "[Errno 111] Connection refused"}\n'), "h")).toEqual({ passed: false, tries: 3, detail: "[Errno 111] Connection refused" });
  expect(() => facts.health.read(sh("", 127, "sh: 1: python3: not found\n"), "http_check on the host")).toThrow("http_check on the host: the check did not run (rc 127): sh: 1: python3: not found");
  const op = facts.health.op({ kind: "tcp", host: "127.0.0.1", port: 22, state: "started", delay: 0, timeout: 30 });
  expect(op).toMatchObject({ op: "sh", script: "python3 -", timeout: 45 });
});
