/**
 * Storage modules on this machine: the REAL agent (localChannel, as root), real loop devices
 * over sparse files, real mkfs.xfs/mkfs.ext4, cryptsetup, blkid, wipefs, findmnt and mount.
 * Mount points, fstab and crypttab live in a temp dir (module arguments), never /etc.
 * Everything is unmounted, closed and detached in afterAll (and at exit).
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import type { HostVars } from "../../runner/modules/types";
import { Driver, type Outcome } from "./drive";
import { isRoot, Scratch, sh } from "./scratch";

const maybe = isRoot ? describe : describe.skip;
if (!isRoot) console.log("test/storage/local.test.ts skipped: needs root (loop devices, mount, cryptsetup)");

type Vol = HostVars["volumes"][string];

function host(volumes: Record<string, Vol>): HostVars {
  return { name: "local", tier: "storage", privateIp: "127.0.0.1", user: "root", volumes };
}

/** a volume on a loop device: the volume id has no by-id link here, so the declared device name resolves it */
function vol(dev: string, mountPoint: string, over: Partial<Vol> = {}): Vol {
  return { volumeId: `vol-0${crypto.randomBytes(8).toString("hex")}`, device: dev, mountPoint, filesystem: "xfs", encryption: "none", ...over };
}

const uuidOf = (dev: string) => sh(`blkid -p -s UUID -o value ${dev}`).trim();
const sha = (dev: string) => sh(`sha256sum ${dev}`).split(" ")[0];
const liveOptions = (mp: string) => sh(`findmnt -rn -o VFS-OPTIONS --mountpoint ${mp}`).trim().split(",");

/** prints every process's argv and environment, over and over, until the file argv[1] exists */
const WATCHER = `
import os, sys
while not os.path.exists(sys.argv[1]):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for what in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (pid, what), "rb") as f:
                    sys.stdout.write(f.read().replace(b"\\0", b" ").decode("utf-8", "replace") + "\\n")
            except OSError:
                pass
    sys.stdout.flush()
`;

let scratch: Scratch;
let drive: Driver;

maybe("storage modules on loop devices (real agent, local)", () => {
  beforeAll(async () => {
    scratch = new Scratch("local");
    drive = await Driver.start();
  });
  afterAll(() => {
    drive?.close();
    scratch?.cleanup();
  });

  /** filesystem then mount for one volume, as playbooks/_volumes.yml does */
  async function volume(h: HostVars, name: string, fstab: string): Promise<[Outcome, Outcome]> {
    const fsys = await drive.run("filesystem", { volume: name }, h);
    if (fsys.status === "failed") return [fsys, { status: "skipped", msg: "host stopped" }];
    return [fsys, await drive.run("mount", { volume: name, fstab }, h)];
  }

  test("fresh disks: formatted, mounted by UUID, findmnt --verify passes; second run changes nothing", async () => {
    const fstab = scratch.path("fresh.fstab");
    // lines that are not ours stay exactly as they are
    const others = "# static file system information\nproc /proc proc defaults 0 0\n";
    fs.writeFileSync(fstab, others);
    const h = host({
      code: vol(scratch.loop("code"), scratch.path("mnt", "code"), { filesystem: "ext4", mountOptions: ["defaults", "noatime", "exec"] }),
      log: vol(scratch.loop("log"), scratch.path("mnt", "log"), { mountOptions: ["defaults", "noatime", "noexec"], mode: "0750" }),
    });
    for (const name of ["code", "log"]) {
      const [f, m] = await volume(h, name, fstab);
      expect([f.status, m.status]).toEqual(["changed", "changed"]);
      expect(f.msg).toBe(`make ${h.volumes[name].filesystem} on ${h.volumes[name].device} (volume ${name})`);
    }
    const text = fs.readFileSync(fstab, "utf8");
    expect(text.startsWith(others)).toBe(true);
    expect(text.slice(others.length)).toBe(
      `UUID=${uuidOf(h.volumes.code.device)} ${h.volumes.code.mountPoint} ext4 defaults,noatime,exec 0 2 # multitier:code\n` +
        `UUID=${uuidOf(h.volumes.log.device)} ${h.volumes.log.mountPoint} xfs defaults,noatime,noexec 0 2 # multitier:log\n`,
    );
    expect(sh(`findmnt --verify --tab-file ${fstab} 2>&1; echo rc=$?`)).toMatch(/rc=0\n$/);
    const mounted = JSON.parse(sh(`findmnt -J -o SOURCE,FSTYPE,VFS-OPTIONS --mountpoint ${h.volumes.log.mountPoint}`)).filesystems[0];
    expect(mounted.source).toBe(h.volumes.log.device);
    expect(mounted.fstype).toBe("xfs");
    expect(mounted["vfs-options"].split(",")).toEqual(expect.arrayContaining(["noexec", "noatime"]));
    expect(liveOptions(h.volumes.code.mountPoint)).not.toContain("noexec");
    expect(sh(`stat -c %a ${h.volumes.log.mountPoint}`).trim()).toBe("750");

    const before = drive.sent.length;
    for (const name of ["code", "log"]) {
      const [f, m] = await volume(h, name, fstab);
      expect([f.status, m.status]).toEqual(["ok", "ok"]);
      expect(m.msg).toMatch(/^nothing to do/);
    }
    // converged: only probe batches were sent (one per task), no apply
    expect(drive.sent.length - before).toBe(4);
    expect(fs.readFileSync(fstab, "utf8")).toBe(text);
  }, 120_000);

  test("--check on fresh disks (issue 20): every change listed, the mount 'after its filesystem is made', nothing written", async () => {
    const fstab = scratch.path("check.fstab");
    fs.writeFileSync(fstab, "");
    const h = host({ app: vol(scratch.loop("check"), scratch.path("mnt", "check"), { filesystem: "ext4" }) });
    const dev = h.volumes.app.device;
    const hash = sha(dev);
    drive.newRun();
    const f = await drive.run("filesystem", { volume: "app" }, h, true);
    const m = await drive.run("mount", { volume: "app", fstab }, h, true);
    expect(f).toMatchObject({ status: "changed", msg: `make ext4 on ${dev} (volume app)` });
    expect(m).toMatchObject({ status: "changed", msg: `would mount ${h.volumes.app.mountPoint} after its filesystem is made (ext4 on ${dev})` });
    expect(sha(dev)).toBe(hash);
    expect(fs.readFileSync(fstab, "utf8")).toBe("");
    expect(fs.existsSync(h.volumes.app.mountPoint)).toBe(false);
    // without an earlier would-be change (or in a real run) the same state is a failure, as before
    drive.newRun();
    expect(await drive.run("mount", { volume: "app", fstab }, h, true)).toMatchObject({ status: "failed", msg: expect.stringMatching(/has no filesystem to mount/) });
    expect(await drive.run("mount", { volume: "app", fstab }, h)).toMatchObject({ status: "failed", msg: expect.stringMatching(/has no filesystem to mount/) });
  }, 60_000);

  test("a disk holding files: mounted as is, remounted when options change, refused for another filesystem — data identical", async () => {
    const dev = scratch.loop("data", 64);
    const pre = scratch.path("pre");
    fs.mkdirSync(pre);
    sh(`mkfs.ext4 -q ${dev} && mount ${dev} ${pre} && head -c 3000000 /dev/urandom > ${pre}/records.bin && echo "years of data" > ${pre}/notes.txt && umount ${pre}`);
    const uuid = uuidOf(dev);
    const mp = scratch.path("mnt", "data");
    const files = () => sh(`cd ${mp} && sha256sum records.bin notes.txt`);
    const fstab = scratch.path("data.fstab");
    const decl = (over: Partial<Vol>) => host({ data: vol(dev, mp, { filesystem: "ext4", mountOptions: ["defaults", "noatime", "noexec"], ...over }) });

    // 1: declared as it is: nothing formatted, mounted by its existing UUID
    let [f, m] = await volume(decl({}), "data", fstab);
    expect(f).toMatchObject({ status: "ok", msg: `nothing to do (ext4 on ${dev})` });
    expect(m.status).toBe("changed");
    const sums = files();
    expect(sums).toMatch(/notes\.txt/);
    expect(uuidOf(dev)).toBe(uuid);
    expect(liveOptions(mp)).toContain("noexec");

    // 2a: an option removed (noexec): fstab updated AND the live mount follows (remount)
    [f, m] = await volume(decl({ mountOptions: ["defaults", "noatime"] }), "data", fstab);
    expect(m.status).toBe("changed");
    expect(m.msg).toBe(`fstab entry for ${mp}, remount ${mp} with defaults,noatime (noexec: declared no, mounted yes)`);
    expect(liveOptions(mp)).not.toContain("noexec");
    // 2b: an option added, and noatime dropped (a remount keeps atime unless told: relatime is explicit)
    [f, m] = await volume(decl({ mountOptions: ["defaults", "nodev"] }), "data", fstab);
    expect(m.status).toBe("changed");
    expect(liveOptions(mp)).toEqual(expect.arrayContaining(["nodev", "relatime"]));
    expect(liveOptions(mp)).not.toContain("noatime");
    expect((await volume(decl({ mountOptions: ["defaults", "nodev"] }), "data", fstab))[1].status).toBe("ok");
    expect(fs.readFileSync(fstab, "utf8")).toBe(`UUID=${uuid} ${mp} ext4 defaults,nodev 0 2 # multitier:data\n`);

    // 3: another filesystem declared: refused with what blkid found, nothing touched
    [f, m] = await volume(decl({ filesystem: "xfs" }), "data", fstab);
    expect(f.status).toBe("failed");
    expect(f.msg).toBe(
      `refusing to make xfs on ${dev} (volume data): it is not empty — blkid -p: ${sh(`blkid -p -o export ${dev} | grep -v '^DEVNAME=' | tr '\\n' ' '`).trim()}; wipefs: ext4 at 0x438. ` +
        `Nothing was changed. If the volume is meant to be ext4, declare \`filesystem: ext4\` for data in hosts/<env>.yaml. ` +
        `Look at it first (blkid -p ${dev}; wipefs ${dev}; mount -o ro ${dev} /mnt); if nothing on it is needed, erase it by hand (wipefs -a ${dev} && dd if=/dev/zero of=${dev} bs=1M count=1) and run again`,
    );
    // the mount module on its own refuses too
    const alone = await drive.run("mount", { volume: "data", fstab }, decl({ filesystem: "xfs" }));
    expect(alone).toMatchObject({ status: "failed", msg: `${dev} (volume data) holds ext4, but xfs is declared: not mounting it (nothing was changed)` });

    expect(files()).toBe(sums);
    expect(uuidOf(dev)).toBe(uuid);
    sh(`umount ${mp}`);
    expect(sh(`e2fsck -fn ${dev} >/dev/null 2>&1; echo $?`).trim()).toBe("0");
  }, 120_000);

  describe("disks that hold something blkid alone does not report, or more than one thing: never formatted", () => {
    const cases: [string, (dev: string) => void, RegExp][] = [
      [
        "two signatures (blkid -p: ambivalent, prints nothing)",
        (dev) => {
          sh(`mkfs.xfs -q ${dev}`);
          const e = scratch.path("e4.img");
          sh(`truncate -s 64M ${e} && mkfs.ext4 -q -F ${e} && dd if=${e} of=${dev} bs=1024 skip=1 seek=1 count=1 conv=notrunc status=none && rm ${e}`);
          expect(sh(`blkid -p -o export ${dev} 2>/dev/null; echo rc=$?`).trim()).toBe("rc=8");
        },
        /it is not empty — blkid -p: ambivalent result \(more than one signature\); wipefs: xfs at 0x0, ext4 at 0x438\. Nothing was changed/,
      ],
      [
        "a partition table",
        (dev) => {
          // an MBR with one Linux partition (no fdisk on this machine: the bytes by hand)
          const mbr = Buffer.alloc(512);
          mbr.writeUInt8(0x83, 446 + 4);
          mbr.writeUInt32LE(2048, 446 + 8);
          mbr.writeUInt32LE(100000, 446 + 12);
          mbr.writeUInt16LE(0xaa55, 510);
          const f = scratch.path("mbr.bin");
          fs.writeFileSync(f, mbr);
          sh(`dd if=${f} of=${dev} conv=notrunc status=none`);
        },
        /it is not empty — blkid -p: PTTYPE=dos; wipefs: dos at 0x1fe\. Nothing was changed/,
      ],
      [
        "data without any signature (random bytes)",
        (dev) => sh(`head -c 2097152 /dev/urandom | dd of=${dev} conv=notrunc status=none`),
        /it is not empty — no known signature, but its first MiB is not blank: data in a format blkid does not know .*\. Nothing was changed/,
      ],
    ];
    test.each(cases)("%s", async (_name, prepare, message) => {
      const dev = scratch.loop(`odd-${crypto.randomBytes(3).toString("hex")}`); // xfs needs ≥ 300 MiB
      prepare(dev);
      const hash = sha(dev);
      const h = host({ odd: vol(dev, scratch.path("mnt", "odd")) });
      const f = await drive.run("filesystem", { volume: "odd" }, h);
      expect(f.status).toBe("failed");
      expect(f.msg).toMatch(message);
      const l = await drive.run("luks", { volume: "odd", passphrase: "correct horse battery", crypttab: scratch.path("odd.crypttab") }, h);
      expect(l.status).toBe("failed");
      expect(l.msg).toMatch(/^refusing to encrypt .* it is not empty — /);
      expect(sha(dev)).toBe(hash);
      expect(fs.existsSync(scratch.path("odd.crypttab"))).toBe(false);
    }, 60_000);
  });

  test("the guard in front of mkfs re-checks the disk: a signature that appears after the plan stops the format", async () => {
    const dev = scratch.loop("race", 64);
    const h = host({ race: vol(dev, scratch.path("mnt", "race")) });
    const plan = await drive.plan("filesystem", { volume: "race" }, h);
    expect(plan.status).toBe("changed");
    sh(`mkfs.ext4 -q ${dev}`); // someone else formats it between our probe and our apply
    const uuid = uuidOf(dev);
    const out = await drive.apply(plan);
    expect(out).toMatchObject({ status: "failed", msg: `refusing to format ${dev}: blkid -p finds a signature (exit 0); nothing was changed` });
    expect(uuidOf(dev)).toBe(uuid);
  }, 60_000);

  test("disks not found, or two volumes on one disk: every storage task of the host fails before touching anything", async () => {
    const dev = scratch.loop("shared", 64);
    const fstab = scratch.path("shared.fstab");
    const twins = host({ a: vol(dev, scratch.path("mnt", "a")), b: vol(dev, scratch.path("mnt", "b")) });
    for (const [mod, args] of [
      ["filesystem", { volume: "a" }],
      ["mount", { volume: "b", fstab }],
      ["luks", { volume: "a", passphrase: "correct horse battery", crypttab: scratch.path("shared.crypttab") }],
    ] as const) {
      const out = await drive.run(mod, args, twins);
      expect(out.status).toBe("failed");
      expect(out.msg).toBe(`volumes a and b resolve to the same disk ${dev} (check their volume ids and devices in the outputs) — nothing was changed on this host`);
    }
    // one volume's disk missing: the task of the OTHER (present, empty) volume fails as well
    const missing = host({ good: vol(dev, scratch.path("mnt", "good")), gone: vol("/dev/sdzz", scratch.path("mnt", "gone"), { volumeId: "vol-0123456789abcdef0" }) });
    const out = await drive.run("filesystem", { volume: "good" }, missing);
    expect(out.status).toBe("failed");
    expect(out.msg).toBe(
      "the disk of volume gone was not found (looked for /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0, an NVMe disk with serial vol0123456789abcdef0, /dev/sdzz, /dev/xvdzz) — nothing was changed on this host",
    );
    expect(sh(`blkid -p ${dev} >/dev/null 2>&1; echo $?`).trim()).toBe("2");
    expect(fs.existsSync(fstab)).toBe(false);
  }, 60_000);

  describe("LUKS", () => {
    // made at run time, so it is in no source file, cache or transcript
    const passphrase = `pp-${crypto.randomBytes(12).toString("hex")}`;
    let dev: string;
    let crypttab: string;
    let h: HostVars;
    const luksArgs = (over: Record<string, unknown> = {}) => ({ volume: "secret", passphrase, pbkdfMemoryKiB: 32768, iterTimeMs: 1000, crypttab, ...over });
    // /proc/misc decides (a stale /dev/mapper/control node can exist without it)
    const noDm = () => "this kernel has no device-mapper (not in /proc/misc)";
    const hasDeviceMapper = () => /\bdevice-mapper\b/.test(fs.readFileSync("/proc/misc", "utf8")) && fs.existsSync("/dev/mapper/control");

    beforeAll(async () => {
      dev = scratch.loop("secret", 64);
      crypttab = scratch.path("crypttab");
      fs.writeFileSync(crypttab, "# <target name> <source device> <key file> <options>\n");
      h = host({ secret: vol(dev, scratch.path("mnt", "secret"), { encryption: "luks" }) });
      drive.close();
      drive = await Driver.start([passphrase]);
      scratch.mapper("secret_crypt");
    });

    test("formats an empty disk once; the passphrase is in no process's argv or environment, no output, no file under /tmp", async () => {
      const marker = scratch.path("t0");
      fs.writeFileSync(marker, "");
      // every process's argv and environment, sampled until told to stop
      const watcher = spawn("python3", ["-c", WATCHER, scratch.path("stop")]);
      // checked line by line (the samples add up to many MB): lines with the passphrase, the format's argv
      let partial = "";
      let samples = 0;
      const leakedArgv: string[] = [];
      const formats: string[] = [];
      watcher.stdout.setEncoding("utf8");
      watcher.stdout.on("data", (d: string) => {
        const lines = (partial + d).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) {
          samples++;
          if (l.includes(passphrase)) leakedArgv.push(l);
          if (l.includes("cryptsetup luksFormat")) formats.push(l);
        }
      });
      const exited = new Promise((r) => watcher.on("exit", r));
      const out = await drive.run("luks", luksArgs(), h);
      fs.writeFileSync(scratch.path("stop"), "");
      await exited;

      // the watcher really saw the format run, so not finding the passphrase means something
      expect(formats.join("\n")).toMatch(/cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id --pbkdf-memory 32768 --iter-time 1000 --uuid [0-9a-f-]{36} --key-file - /);
      expect(samples).toBeGreaterThan(1000);
      expect(leakedArgv).toEqual([]);
      expect(JSON.stringify(out)).not.toContain(passphrase);
      // only ever in stdin, never in a script, path or env of an op
      for (const op of drive.sent.flat()) {
        const { stdin, ...visible } = op as { stdin?: string };
        expect(JSON.stringify(visible)).not.toContain(passphrase);
        if (stdin) expect(Buffer.from(stdin, "base64").toString()).toBe(passphrase);
      }
      const leaked = sh(`find /tmp -xdev -type f -newer ${marker} -size -20M -print0 2>/dev/null | xargs -0 -r grep -lsF -- '${passphrase}' || true`).trim();
      expect(leaked).toBe("");

      expect(sh(`cryptsetup isLuks ${dev} && echo luks`).trim()).toBe("luks");
      const uuid = sh(`cryptsetup luksUUID ${dev}`).trim();
      expect(fs.readFileSync(crypttab, "utf8")).toBe(`# <target name> <source device> <key file> <options>\nsecret_crypt UUID=${uuid} none luks,noauto\n`);
      if (hasDeviceMapper()) {
        expect(out).toMatchObject({ status: "changed", msg: `format ${dev} as LUKS2 (volume secret), crypttab entry for secret_crypt, open as /dev/mapper/secret_crypt` });
        expect(fs.existsSync("/dev/mapper/secret_crypt")).toBe(true);
      } else {
        console.log("LUKS open not exercised for real: this kernel has no device-mapper (/dev/mapper/control missing)");
        expect(out).toEqual({
          status: "failed",
          msg: `formatted ${dev} as LUKS2 (volume secret, crypttab entry written), but cannot open ${dev} (volume secret): ${noDm()}`,
          diff: expect.any(String),
        });
        expect(fs.existsSync("/dev/mapper/secret_crypt")).toBe(false);
      }
    }, 60_000);

    test("a second run does not reformat; opening is reported as unsupported here, never as done", async () => {
      const uuid = sh(`cryptsetup luksUUID ${dev}`).trim();
      const header = sh(`head -c 16777216 ${dev} | sha256sum`);
      const out = await drive.run("luks", luksArgs(), h);
      expect(sh(`cryptsetup luksUUID ${dev}`).trim()).toBe(uuid);
      expect(sh(`head -c 16777216 ${dev} | sha256sum`)).toBe(header);
      if (hasDeviceMapper()) {
        expect(out).toEqual({ status: "ok", msg: `nothing to do (${dev} is LUKS, the passphrase opens it, open as /dev/mapper/secret_crypt)` });
      } else {
        expect(out).toMatchObject({ status: "failed", msg: `cannot open ${dev} (volume secret): ${noDm()}` });
        // what the filesystem and mount steps say about the closed volume
        expect(await drive.run("filesystem", { volume: "secret" }, h)).toMatchObject({ status: "failed", msg: "/dev/mapper/secret_crypt is not open (volume secret is encrypted: the luks task opens it; after a reboot, multitier unlock)" });
        // with open: false there is nothing left to do
        expect(await drive.run("luks", luksArgs({ open: false }), h)).toEqual({ status: "ok", msg: `nothing to do (${dev} is LUKS, the passphrase opens it)` });
      }
    }, 60_000);

    test("opened for real where device-mapper exists: xfs inside, mounted with nofail", async () => {
      if (!hasDeviceMapper()) {
        console.log("skipped: cryptsetup open needs device-mapper, and /dev/mapper/control is missing on this kernel");
        return;
      }
      const fstab = scratch.path("luks.fstab");
      expect((await drive.run("filesystem", { volume: "secret" }, h)).status).toBe("changed");
      expect((await drive.run("mount", { volume: "secret", fstab }, h)).status).toBe("changed");
      expect(fs.readFileSync(fstab, "utf8")).toMatch(/^UUID=[0-9a-f-]{36} \S+ xfs defaults,nofail 0 2 # multitier:secret\n$/);
      sh(`umount ${h.volumes.secret.mountPoint}`);
    }, 60_000);

    test("a passphrase that does not open the existing header is refused; nothing changes", async () => {
      const header = sh(`head -c 16777216 ${dev} | sha256sum`);
      const tab = fs.readFileSync(crypttab, "utf8");
      const wrong = `wrong-${crypto.randomBytes(6).toString("hex")}`;
      const out = await drive.run("luks", luksArgs({ passphrase: wrong }), h);
      expect(out).toEqual({
        status: "failed",
        msg: `the LUKS header on ${dev} (volume secret) does not open with the passphrase given (cryptsetup: No key available with this passphrase.). Nothing was changed, and this disk is never reformatted: check the passphrase in the vault (hosts/<env>.vault.yml); if it is lost, so is the data — restore the volume from a snapshot`,
      });
      expect(sh(`head -c 16777216 ${dev} | sha256sum`)).toBe(header);
      expect(fs.readFileSync(crypttab, "utf8")).toBe(tab);
    }, 60_000);

    test("unlock mode (format: false) never formats an empty disk; a plain filesystem is never encrypted", async () => {
      const empty = scratch.loop("unlock-empty", 64);
      const out = await drive.run("luks", luksArgs({ format: false }), host({ secret: vol(empty, "/nonexistent", { encryption: "luks" }) }));
      expect(out).toEqual({ status: "failed", msg: `${empty} (volume secret) has no LUKS header; unlock never formats a disk — deploy the service first. Nothing was changed` });
      expect(sh(`blkid -p ${empty} >/dev/null 2>&1; echo $?`).trim()).toBe("2");

      sh(`mkfs.ext4 -q ${empty}`);
      const hash = sha(empty);
      const plain = await drive.run("luks", luksArgs(), host({ secret: vol(empty, "/nonexistent", { encryption: "luks" }) }));
      expect(plain.status).toBe("failed");
      expect(plain.msg).toMatch(new RegExp(`^refusing to encrypt ${empty} \\(volume secret\\): it is not empty — blkid -p: .*TYPE=ext4.*; wipefs: ext4 at 0x438\\. Nothing was changed\\.`));
      expect(sha(empty)).toBe(hash);
    }, 60_000);
  });
});
