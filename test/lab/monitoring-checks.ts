/**
 * Monitoring in the lab, with real Prometheus, Alertmanager and node exporters (issue 18), run
 * by the rehearsal (test/tiers/rehearsal.test.ts) on its lab after its own checks — one lab,
 * one install of every tier, for both. With every tier deployed by the real playbooks
 * (hosts/lab.yaml: short intervals, alerts to a webhook on the bastion's private leg
 * 10.213.1.1:9095):
 *   - every host's exporter is scraped across the lab network, through the bastion-router's
 *     filters (the monitoring host is in the private subnet, most tiers in the public one),
 *     and is not reachable from the controller, nor across subnets from another tier;
 *   - filling /log past the threshold fires VolumeFull; stopping emissionpy fires ServiceDown
 *     and restarting it resolves it; unmounting a declared volume fires VolumeNotMounted; a
 *     certificate expiring within days fires CertificateExpiringSoon;
 *   - Alertmanager delivers the firing alerts to the webhook receiver these checks run.
 * Every wait is bounded and fails with what it last saw.
 * The lab's part: the bastion's filter lets only the monitoring host reach 9100 across subnets
 * (lab/network.ts routeLikeTheVpc); the runner dials the bastion at its private leg
 * (10.213.0.1) for its exporter, so the bastion's sshd listens there too and
 * hosts/lab.known_hosts holds its key under that address (lab/host-up.sh, lab/outputs.ts).
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { Lab } from "./harness";

const WAIT_MS = 180_000;
const RECEIVER = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "ab") as f:
            f.write(body.replace(b"\\n", b" ") + b"\\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("10.213.1.1", 9095), H).serve_forever()
`;

/** The checks, as tests of the calling describe; `getLab()`: the lab every tier was deployed to. */
export function monitoringChecks(getLab: () => Lab): void {
  let lab: Lab | undefined;
  let receiver: ChildProcess | undefined;
  beforeAll(() => {
    lab = getLab();
    const inbox = path.join(lab.dir, "webhook.jsonl");
    fs.writeFileSync(inbox, "");
    receiver = spawn("ip", ["netns", "exec", lab.host("bastion").ns, "python3", "-c", RECEIVER, inbox], { stdio: "ignore" });
  });
  afterAll(() => {
    receiver?.kill();
  });
  const labTest = (name: string, fn: () => Promise<void> | void, timeout = WAIT_MS + 60_000) => test(name, async () => { await fn(); }, timeout);

  /** GET on Prometheus's API, from inside the monitoring host (it listens on 127.0.0.1 only). */
  function prom(apiPath: string): any {
    const out = lab!.sh("monitoring", `python3 -c 'import sys,urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9090" + sys.argv[1], timeout=5).read().decode())' '${apiPath}'`);
    return JSON.parse(out).data;
  }

  async function waitFor<T>(what: string, probe: () => T, done: (v: T) => boolean): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    let last: T | string = "nothing yet";
    while (Date.now() < deadline) {
      try {
        last = probe();
        if (done(last as T)) return last as T;
      } catch (e) {
        last = `error: ${(e as Error).message.split("\n")[0]}`;
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
    throw new Error(`${what}: not within ${WAIT_MS / 1000} s; last seen: ${JSON.stringify(last).slice(0, 2000)}`);
  }

  type Alert = { labels: Record<string, string>; state: string; annotations: Record<string, string> };
  const alerts = (): Alert[] => prom("/api/v1/alerts").alerts;
  const firing = (name: string, labels: Record<string, string>) => (as: Alert[]) =>
    as.some((a) => a.labels.alertname === name && a.state === "firing" && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

  labTest("every tier host's exporter is scraped through the bastion-router (targets up)", async () => {
    const hosts = lab!.state.hosts.map((h) => h.name).sort();
    const targets = await waitFor("node targets up", () => prom("/api/v1/targets").activeTargets.filter((t: any) => t.labels.job === "node"), (ts: any[]) =>
      hosts.every((h) => ts.some((t) => t.labels.host === h && t.health === "up")),
    );
    expect(targets.filter((t: any) => t.labels.host !== "bastion").map((t: any) => [t.labels.host, t.health]).sort()).toEqual(hosts.map((h) => [h, "up"]));
  });

  labTest("the bastion's own exporter is scraped too (deploy-monitoring reaches it by name)", async () => {
    await waitFor("bastion target up", () => prom("/api/v1/targets").activeTargets.find((x: any) => x.labels.host === "bastion"), (t: any) => t?.health === "up");
  });

  labTest("an exporter is not reachable from the controller, nor from a tier across subnets", async () => {
    const web = lab!.host("webapp").address;
    const db = lab!.host("database").address;
    const fromController = await new Promise<string>((resolve) => {
      const s = net.connect({ host: web, port: 9100, timeout: 1500 });
      s.on("connect", () => (s.destroy(), resolve("connected")));
      s.on("timeout", () => (s.destroy(), resolve("timeout")));
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(fromController).not.toBe("connected");
    const fromWebapp = lab!.sh("webapp", `timeout 3 bash -c 'exec 3<>/dev/tcp/${db}/9100' && echo connected || echo refused`).trim();
    expect(fromWebapp).not.toBe("connected");
    // and it listens on the private address only
    expect(lab!.sh("webapp", "ss -Hltn 'sport = :9100'")).toContain(`${web}:9100`);
  });

  labTest("filling /log past the threshold fires VolumeFull; freeing it resolves", async () => {
    const fill = "/log/monitoring-test.fill";
    try {
      lab!.sh("webapp", `set -e; read size avail <<EOF\n$(df -B1 --output=size,avail /log | tail -1)\nEOF\nfallocate -l $(( avail - size / 20 )) ${fill}`);
      await waitFor("VolumeFull on webapp /log", alerts, firing("VolumeFull", { host: "webapp", volume: "log" }));
    } finally {
      lab!.sh("webapp", `rm -f ${fill}`);
    }
    await waitFor("VolumeFull resolved", alerts, (as) => !firing("VolumeFull", { host: "webapp", volume: "log" })(as));
  });

  labTest("stopping emissionpy fires ServiceDown; make restart-webapp resolves it", async () => {
    lab!.sh("webapp", "supervisorctl stop emissionpy >/dev/null");
    await waitFor("ServiceDown emissionpy", alerts, firing("ServiceDown", { host: "webapp", service: "emissionpy" }));
    const r = await lab!.cli(["restart", "webapp", "--env", "lab"]);
    expect(r.code).toBe(0);
    await waitFor("ServiceDown resolved", alerts, (as) => !as.some((a) => a.labels.alertname === "ServiceDown" && a.labels.service === "emissionpy"));
  });

  labTest("unmounting a declared volume fires VolumeNotMounted with what to do", async () => {
    try {
      lab!.sh("analysis", "umount -l /log");
      const as = await waitFor("VolumeNotMounted analysis /log", alerts, firing("VolumeNotMounted", { host: "analysis", volume: "log" }));
      const a = as.find((x) => x.labels.alertname === "VolumeNotMounted" && x.labels.host === "analysis")!;
      expect(a.annotations.description).toContain("make deploy-analysis ENV=lab TAGS=storage LIMIT=analysis"); // lab volumes are not encrypted
    } finally {
      lab!.sh("analysis", "mountpoint -q /log || mount /log");
    }
  });

  labTest("a webapp certificate expiring in 5 days fires CertificateExpiringSoon", async () => {
    await waitFor("CertificateExpiringSoon", alerts, firing("CertificateExpiringSoon", { host: "webapp", path: "/etc/nginx/tls/emission.crt" }));
  });

  labTest("Alertmanager delivers firing alerts to the webhook receiver on a lab address", async () => {
    const inbox = path.join(lab!.dir, "webhook.jsonl");
    const lines = await waitFor("a webhook delivery with a firing alert", () => fs.readFileSync(inbox, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)), (ms: any[]) =>
      ms.some((m) => m.status === "firing" && m.alerts.some((a: any) => a.labels.alertname && a.labels.environment === "lab")),
    );
    const names = new Set(lines.flatMap((m: any) => m.alerts.map((a: any) => a.labels.alertname)));
    expect(names.size).toBeGreaterThan(0);
    expect(receiver!.exitCode).toBeNull(); // the receiver stayed up the whole time
  });
}
