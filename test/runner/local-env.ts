/**
 * A throwaway environment for executor tests on the local machine: an env file, an outputs
 * file naming N hosts (all reached through LocalConnector, i.e. the real agent as a local
 * process) and a playbooks/templates directory, all in a temp dir. Every host writes under
 * its own subdirectory of the temp dir, so nothing outside it is touched.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface LocalEnv {
  dir: string;
  work: string;
  hostNames: string[];
  writePlaybook(service: string, yaml: string): void;
  writeTemplate(name: string, text: string): void;
  /** point the runner at this env (returns a restore function) */
  activate(): () => void;
  cleanup(): void;
}

/** The environment file "local": one public tier `app`; `appLines` go under it (count, vars, volumes …). */
export function localEnvYaml(appLines: string[] = [], name = "local"): string {
  return [
    `name: ${name}`,
    `prefix: ${name}`,
    "platform: lab",
    "region: us-east-1",
    "availabilityZones: [us-east-1a]",
    "network: { vpcCidr: 10.213.0.0/16, ipv6: false, publicSubnets: [10.213.0.0/24], privateSubnets: [10.213.1.0/24] }",
    "operatorCidrs: [10.213.254.0/24]",
    "keyPair: { name: local }",
    "tiers:",
    "  app:",
    "    subnet: public",
    "    instanceType: t3.micro",
    ...appLines,
    "",
  ].join("\n");
}

export function makeLocalEnv(hostCount = 2): LocalEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-exec-"));
  const work = path.join(dir, "work");
  for (const d of ["hosts", "playbooks", "templates", "work"]) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, "hosts", "local.yaml"), localEnvYaml([`    count: ${hostCount}`, "    vars: { greeting: hello }"]));
  const hostNames = Array.from({ length: hostCount }, (_, i) => `app-${i + 1}`);
  const hosts = Object.fromEntries(hostNames.map((n, i) => [n, { tier: "app", privateIp: `10.213.0.${10 + i}`, user: os.userInfo().username, volumes: {} }]));
  fs.writeFileSync(
    path.join(dir, "hosts", "local.outputs.json"),
    JSON.stringify({ inventory: { value: { bastion: { publicIp: "10.213.254.2", user: "ubuntu" }, hosts }, type: "object", sensitive: false } }),
  );
  for (const n of hostNames) fs.mkdirSync(path.join(work, n));
  return {
    dir,
    work,
    hostNames,
    writePlaybook: (service, yaml) => fs.writeFileSync(path.join(dir, "playbooks", `${service}.yml`), yaml),
    writeTemplate: (name, text) => fs.writeFileSync(path.join(dir, "templates", name), text),
    activate() {
      const saved = { ...process.env };
      process.env.MULTITIER_HOSTS_DIR = path.join(dir, "hosts");
      process.env.MULTITIER_PLAYBOOKS_DIR = path.join(dir, "playbooks");
      process.env.MULTITIER_TEMPLATES_DIR = path.join(dir, "templates");
      return () => {
        for (const k of ["MULTITIER_HOSTS_DIR", "MULTITIER_PLAYBOOKS_DIR", "MULTITIER_TEMPLATES_DIR"]) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
      };
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
