/**
 * The lab itself (systemd hosts, the default): each host boots a Debian root with systemd as
 * PID 1 in its own namespace; hosts are isolated from the machine and from each other, volumes
 * appear at the Nitro by-id path inside their host only and can be formatted and mounted there,
 * and lab-down removes everything — containers, cgroups, the apt proxy when it was the last
 * lab (twice is fine).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import { labDown } from "../../lab/lab";
import { isRoot, startLab, type Lab } from "./harness";

const maybe = isRoot ? describe : describe.skip;

const netns = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
const loops = () => execFileSync("losetup", ["-a"], { encoding: "utf8" });

maybe("the lab", () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    await lab?.down().catch(() => undefined);
  });

  test("up: isolated hosts with their own /etc and volumes; down: nothing left, twice", async () => {
    lab = await startLab("lt", { hostsPerTier: 2 });
    // a booted system, as on an instance: systemd as PID 1, sshd under it, nothing installed
    // beyond what the root starts with
    expect(lab.sh("database", "cat /proc/1/comm").trim()).toBe("systemd");
    expect(lab.sh("database", "systemctl is-active ssh").trim()).toBe("active");
    expect(lab.sh("database", "command -v supervisord nginx chronyd || echo none").trim()).toBe("none");
    const { state } = lab;
    expect(state.hosts.map((h) => h.name)).toEqual([
      "database", "database-2", "webapp", "webapp-2", "analysis", "analysis-2", "notebook", "notebook-2",
    ]);
    // own hostname and /etc: a file written in one host is neither on the machine nor elsewhere
    expect(lab.sh("webapp", "hostname").trim()).toBe("webapp");
    lab.sh("webapp", "echo mine > /etc/lab-isolation-check");
    expect(fs.existsSync("/etc/lab-isolation-check")).toBe(false);
    expect(lab.sh("webapp-2", "test -e /etc/lab-isolation-check && echo yes || echo no").trim()).toBe("no");
    // volumes: at the Nitro path, inside their host only, usable block devices
    const vol = state.hosts[0].volumes.find((v) => v.name === "data")!;
    const byId = `/dev/disk/by-id/${vol.byId}`;
    expect(lab.sh("database", `test -b ${byId} && echo block`).trim()).toBe("block");
    expect(lab.sh("database", `blockdev --getsize64 ${byId}`).trim()).toBe(String(1024 * 1024 * 1024));
    expect(lab.sh("webapp", `test -e ${byId} && echo yes || echo no`).trim()).toBe("no");
    expect(fs.existsSync(byId)).toBe(false);
    // formattable and mountable inside the host (the device node and CAP_SYS_ADMIN, nothing more)
    expect(lab.sh("database", `mkfs.ext4 -q ${byId} && mkdir -p /mnt/v && mount ${byId} /mnt/v && echo hi > /mnt/v/f && findmnt -n -o FSTYPE /mnt/v && umount /mnt/v`).trim()).toBe("ext4");
    expect(lab.sh("database", "ls /dev | grep -c '^loop' || true").trim()).toBe(String(state.hosts[0].volumes.length));
    // outputs and known_hosts as a deployed stack would have them
    const out = JSON.parse(fs.readFileSync(state.outputsFile, "utf8")).inventory.value;
    expect(out.hosts["database"].volumes.data).toMatchObject({ volumeId: vol.volumeId, device: "/dev/sdf", mountPoint: "/data", filesystem: "xfs" });
    const knownHosts = fs.readFileSync(state.knownHostsFile, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    expect(knownHosts).toHaveLength(9); // the bastion and 8 hosts
    expect(fs.statSync(state.keyFile).mode & 0o777).toBe(0o600);

    const labDir = state.labDir;
    await labDown({ id: "lt", labDir });
    await labDown({ id: "lt", labDir }); // safe twice
    expect(netns()).not.toMatch(/^mtlt-/m);
    expect(loops()).not.toContain(labDir);
    expect(fs.existsSync(labDir)).toBe(false);
    const pgrep = spawnSync("pgrep", ["-f", labDir], { encoding: "utf8" });
    expect(pgrep.stdout).toBe(""); // no process of the lab is left
    expect(pgrep.status).toBe(1);
    // no container's cgroup, no nspawn file of this lab
    for (const h of ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
      const left = fs.existsSync(`${h}/multitier-lab`) ? fs.readdirSync(`${h}/multitier-lab`).filter((n) => n.startsWith("mtlt-")) : [];
      expect(left).toEqual([]);
    }
  }, 300_000);
});
