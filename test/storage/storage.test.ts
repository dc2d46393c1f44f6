/**
 * Storage against the lab with real loop devices, real mkfs/cryptsetup/findmnt, through the
 * real CLI: never format a disk that holds data, mount by UUID, LUKS keys only on stdin.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { writeVault } from "../../runner/secrets/vault";
import { isRoot, recapOf, startLab, type Lab } from "../lab/harness";

const maybe = isRoot ? describe : describe.skip;
const PASSPHRASE = "lab-luks-passphrase-7Qx2";


maybe("storage (lab, loop devices)", () => {
  let lab: Lab;
  beforeAll(async () => {
    // analysis: its code volume is LUKS-encrypted; everything else as in hosts/lab.yaml
    // overlay hosts: this suite drives mkfs/cryptsetup/findmnt of the machine directly in the hosts
    lab = await startLab("st", {
      kind: "overlay",
      editEnv: (y) => y.replace("mountPoint: /code, encryption: none, mountOptions: [defaults, noatime, exec], holdsData: false }\n      - { name: log, sizeGb: 1, device: /dev/sdg, mountPoint: /log, encryption: none, mountOptions: [defaults, noatime, noexec] }\n  notebook", "mountPoint: /code, encryption: luks, mountOptions: [defaults, noatime, exec], holdsData: false }\n      - { name: log, sizeGb: 1, device: /dev/sdg, mountPoint: /log, encryption: none, mountOptions: [defaults, noatime, noexec] }\n  notebook"),
    });
    writeVault(path.join(lab.dir, "lab.vault.yml"), `luks:\n  passphrase: ${PASSPHRASE}\n`, "vault-pw");
    lab.env.MULTITIER_VAULT_PASSWORD = "vault-pw";
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
  });

  test("fresh disks: formatted, mounted by UUID, findmnt --verify passes; second run 0 changed", async () => {
    const r = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "database"]);
    expect(r.code).toBe(0);
    expect(recapOf(r.stdout, "database")).toEqual([0, 6, 0, 0, 3]);
    const fstab = lab.sh("database", "cat /etc/fstab");
    expect(fstab).toMatch(/^UUID=[0-9a-f-]{36} \/data xfs defaults,noatime 0 2 # multitier:data$/m);
    expect(fstab).toMatch(/^UUID=[0-9a-f-]{36} \/log xfs defaults,noatime,noexec 0 2 # multitier:log$/m);
    expect(lab.sh("database", "findmnt --verify --tab-file /etc/fstab >/dev/null 2>&1 && echo ok || findmnt --verify --tab-file /etc/fstab").trim()).toBe("ok");
    expect(lab.sh("database", "findmnt -rn -o FSTYPE,VFS-OPTIONS /log")).toMatch(/^xfs .*noexec/);
    const again = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "database"]);
    expect(recapOf(again.stdout, "database")).toEqual([6, 0, 0, 0, 3]);
  }, 60_000);

  test("a disk with data: mounted as is, remounted for a changed option, refused for another filesystem — data identical", async () => {
    const log = lab.state.hosts.find((h) => h.name === "webapp")!.volumes.find((v) => v.name === "log")!;
    const dev = `/dev/disk/by-id/${log.byId}`;
    lab.sh("webapp", `mkfs.ext4 -q ${dev} && mkdir -p /mnt/pre && mount ${dev} /mnt/pre && head -c 300000 /dev/urandom > /mnt/pre/data.bin && echo notes > /mnt/pre/notes.txt && umount /mnt/pre`);
    const sums = () => lab.sh("webapp", `mkdir -p /mnt/chk && mount -o ro ${dev} /mnt/chk 2>/dev/null || mount --bind /log /mnt/chk; sha256sum /mnt/chk/data.bin /mnt/chk/notes.txt | cut -d' ' -f1; umount /mnt/chk`);
    const before = sums();

    const first = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "webapp"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ok\s+filesystem \(log\) — nothing to do \(ext4 on \/dev\/loop\d+\)/);
    expect(lab.sh("webapp", "cat /log/notes.txt")).toBe("notes\n");

    const envFile = path.join(lab.dir, "lab.yaml");
    const original = fs.readFileSync(envFile, "utf8");
    const webLog = "mountPoint: /log, encryption: none, mountOptions: [defaults, noatime, noexec] }\n  analysis";
    try {
      fs.writeFileSync(envFile, original.replace(webLog, "mountPoint: /log, encryption: none, mountOptions: [defaults, noatime, noexec, nodev] }\n  analysis"));
      const second = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "webapp"]);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/changed\s+mount \(log\) — fstab entry for \/log, remount \/log/);
      expect(lab.sh("webapp", "findmnt -rn -o VFS-OPTIONS /log")).toMatch(/nodev/);

      fs.writeFileSync(envFile, original.replace(webLog, "mountPoint: /log, encryption: none, filesystem: xfs, mountOptions: [defaults, noatime, noexec] }\n  analysis"));
      const third = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "webapp"]);
      expect(third.code).toBe(2);
      expect(third.stdout).toMatch(
        /failed\s+filesystem \(log\) — refusing to make xfs on \/dev\/loop\d+ \(volume log\): it is not empty — blkid -p: UUID=[0-9a-f-]+ .*TYPE=ext4.*Nothing was changed\. If the volume is meant to be ext4, declare `filesystem: ext4` for log in hosts\/<env>\.yaml\..*wipefs -a \/dev\/loop\d+/,
      );
    } finally {
      fs.writeFileSync(envFile, original);
    }
    expect(sums()).toBe(before);
  }, 90_000);

  test("LUKS: formats an empty disk once, key only on stdin, open refused plainly without device-mapper", async () => {
    const code = lab.state.hosts.find((h) => h.name === "analysis")!.volumes.find((v) => v.name === "code")!;
    const dev = `/dev/disk/by-id/${code.byId}`;
    // watch every process's argv on the machine (lab hosts share its process table)
    const watcher = spawn("/bin/sh", ["-c", `end=$(($(date +%s)+40)); while [ $(date +%s) -lt $end ]; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; echo; done`]);
    let seen = "";
    watcher.stdout.on("data", (d) => (seen += d));
    const r = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "analysis", "--json"]);
    watcher.kill();
    expect(seen.length).toBeGreaterThan(1000);
    expect(seen).not.toContain(PASSPHRASE);
    expect(r.stdout + r.stderr).not.toContain(PASSPHRASE);
    expect(lab.sh("analysis", `cat /tmp/* 2>/dev/null | grep -c ${PASSPHRASE} || true`).trim()).toBe("0");
    expect(lab.sh("analysis", `cryptsetup isLuks ${dev} && echo luks`).trim()).toBe("luks");
    const uuid = lab.sh("analysis", `cryptsetup luksUUID ${dev}`).trim();
    expect(lab.sh("analysis", "cat /etc/crypttab")).toBe(`code_crypt UUID=${uuid} none luks,noauto\n`);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const luksTask = events.find((e) => e.event === "task" && e.task === "encrypt (code)");
    const hasDeviceMapper = lab.sh("analysis", "grep -qw device-mapper /proc/misc && test -e /dev/mapper/control && echo yes || echo no").trim() === "yes";
    if (hasDeviceMapper) {
      expect(luksTask.status).toBe("changed");
    } else {
      console.log("LUKS open not exercised for real: this kernel has no device-mapper");
      expect(r.code).toBe(2);
      expect(luksTask.status).toBe("failed");
      expect(luksTask.msg).toMatch(/^formatted \/dev\/loop\d+ as LUKS2 \(volume code, crypttab entry written\), but cannot open \/dev\/loop\d+ \(volume code\): this kernel has no device-mapper \(not in \/proc\/misc\)$/);
      expect(events.some((e) => e.event === "task" && /opened|open it as/.test(e.msg) && e.status !== "failed")).toBe(false);
    }
    // the second run does not reformat
    const again = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "analysis"]);
    expect(lab.sh("analysis", `cryptsetup luksUUID ${dev}`).trim()).toBe(uuid);
    if (lab.sh("analysis", "grep -qw device-mapper /proc/misc && echo yes || echo no").trim() !== "yes") expect(again.stdout).toMatch(/failed\s+encrypt \(code\) — cannot open \/dev\/loop\d+ \(volume code\): this kernel has no device-mapper/);
  }, 90_000);

  test("unlock after a reboot: asks for the passphrase, never formats, says plainly it cannot open here", async () => {
    const r = await lab.cli(["unlock", "storage", "--env", "lab", "--limit", "analysis"], { MULTITIER_NO_TTY: "1" }, PASSPHRASE + "\n");
    expect(r.stderr).toContain("LUKS passphrase for the analysis volumes of lab: ");
    expect(r.stdout + r.stderr).not.toContain(PASSPHRASE);
    if (lab.sh("analysis", "grep -qw device-mapper /proc/misc && echo yes || echo no").trim() === "yes") {
      expect(r.code).toBe(0);
    } else {
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/failed\s+open \(code\) — cannot open \/dev\/loop\d+ \(volume code\): this kernel has no device-mapper/);
      expect(r.stdout).not.toMatch(/(changed|ok)\s+open \(code\)/);
    }
  }, 60_000);

  test("a LUKS header the passphrase does not open is refused", async () => {
    const r = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "analysis"], {});
    expect(r.stdout).not.toMatch(/does not open/);
    writeVault(path.join(lab.dir, "lab.vault.yml"), `luks:\n  passphrase: another-wrong-passphrase\n`, "vault-pw");
    try {
      const wrong = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "analysis"]);
      expect(wrong.code).toBe(2);
      expect(wrong.stdout).toMatch(/failed\s+encrypt \(code\) — the LUKS header on \/dev\/loop\d+ \(volume code\) does not open with the passphrase given \(cryptsetup: No key available with this passphrase\.\)\. Nothing was changed, and this disk is never reformatted: check the passphrase in the vault/);
    } finally {
      writeVault(path.join(lab.dir, "lab.vault.yml"), `luks:\n  passphrase: ${PASSPHRASE}\n`, "vault-pw");
    }
  }, 60_000);

  test("two volumes resolving to one disk: the host fails before anything is touched", async () => {
    // the outputs are right (two volume ids; the inventory refuses duplicates up front), but on
    // the host both ids lead to one disk, as a wrong by-id link would
    const byId = (name: string) => `/dev/disk/by-id/${lab.host("notebook").volumes.find((v) => v.name === name)!.byId}`;
    const logTarget = lab.sh("notebook", `readlink ${byId("log")}`).trim();
    lab.sh("notebook", `ln -sfn "$(readlink ${byId("code")})" ${byId("log")}`);
    try {
      const before = lab.sh("notebook", "blkid -p /dev/loop* 2>/dev/null | sort; cat /etc/fstab 2>/dev/null");
      const r = await lab.cli(["deploy", "storage", "--env", "lab", "--limit", "notebook"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/failed\s+filesystem \(code\) — volumes code and log resolve to the same disk \/dev\/loop\d+ \(check their volume ids and devices in the outputs\) — nothing was changed on this host/);
      expect(lab.sh("notebook", "blkid -p /dev/loop* 2>/dev/null | sort; cat /etc/fstab 2>/dev/null")).toBe(before);
    } finally {
      lab.sh("notebook", `ln -sfn ${logTarget} ${byId("log")}`);
    }
  }, 60_000);
});
