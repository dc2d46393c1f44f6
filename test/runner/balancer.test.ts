/**
 * The load balancer interface: which implementation an environment gets (from its outputs),
 * the lab stand-in's upstream file (pure rendering and marking), and the AWS implementation's
 * calls — through a STAND-IN `aws` executable on PATH that records its argv (there is no AWS
 * API here; the real deregistration cannot run in the lab).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chooseBalancer, makeBalancer } from "../../runner/balancer";
import { AwsBalancer, awsCli } from "../../runner/balancer/aws";
import { spawnSync } from "child_process";
import { LabBalancer, downServers, markServers, renderUpstream, type BastionExec } from "../../runner/balancer/lab";
import type { InventoryHost } from "../../runner/inventory";

const ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/prod-webapp/0123456789abcdef";
const host = (name: string, privateIp: string): InventoryHost => ({ name, tier: "webapp", privateIp, user: "ubuntu", volumes: {}, address: privateIp, port: 22 });
const aws = { region: "us-east-1", platform: "aws" } as const;
const inventory = (extra: Record<string, unknown> = {}) => ({ bastion: { publicIp: "1.2.3.4" }, hosts: { webapp: { tier: "webapp", privateIp: "10.0.1.5" } }, ...extra });

test("selection: none without a loadBalancer output; aws from a target group ARN (beside or inside the inventory); lab for the lab's stand-in", () => {
  expect(chooseBalancer(aws, { inventory: { value: inventory(), type: "object" } })).toEqual({ kind: "none" });
  expect(chooseBalancer(aws, undefined)).toEqual({ kind: "none" });
  const beside = chooseBalancer(aws, { inventory: { value: inventory(), type: "object" }, loadBalancer: { value: { targetGroupArn: ARN }, type: "object" } });
  expect(beside).toEqual({ kind: "aws", tg: { targetGroupArn: ARN, region: "eu-west-1", targetType: "ip", instanceIds: {} } });
  const inside = chooseBalancer(aws, { stack: { inventory: inventory({ loadBalancer: { targetGroupArn: ARN, targetPort: 443 } }) } });
  expect(inside).toMatchObject({ kind: "aws", tg: { port: 443 } });
  const lab = { upstreamFile: "/etc/multitier-lb/upstream.conf", nginxConf: "/etc/multitier-lb/nginx.conf" };
  expect(chooseBalancer({ region: "x", platform: "lab" }, { inventory: { value: inventory({ loadBalancer: { kind: "lab", ...lab } }), type: "object" } })).toEqual({ kind: "lab", cfg: lab });
  expect(() => chooseBalancer(aws, { loadBalancer: { value: { kind: "lab", ...lab }, type: "object" } }, "hosts/p.outputs.json")).toThrow("hosts/p.outputs.json loadBalancer.kind: the lab's stand-in balancer is for the lab environment only");
  expect(() => chooseBalancer(aws, { loadBalancer: { value: { targetGroupArn: "tg-1" }, type: "object" } }, "o.json")).toThrow('o.json loadBalancer.targetGroupArn: expected a target group ARN, got "tg-1"');
});

test("an AWS balancer with no way to call AWS is refused with one line before anything is sent", () => {
  const choice = chooseBalancer(aws, { loadBalancer: { value: { targetGroupArn: ARN }, type: "object" } });
  expect(() => makeBalancer(choice, { bastionExec: () => Promise.reject(new Error("unused")), hasAwsCli: () => false })).toThrow(
    `argument balancer: the environment has a load balancer (${ARN}) and a play drains it, but there is no way to call the AWS API here: install the aws CLI (v2) with credentials, or run with --check`,
  );
  expect(makeBalancer(choice, { bastionExec: () => Promise.reject(new Error("unused")), hasAwsCli: () => true })?.name).toBe("target group prod-webapp");
  expect(makeBalancer({ kind: "none" }, { bastionExec: () => Promise.reject(new Error("unused")) })).toBeUndefined();
});

test("lab stand-in: the upstream file rendered, hosts marked down and back, other lines kept", () => {
  const text = renderUpstream("webapp_pool", ["10.213.0.5:443", "10.213.0.6:443", "10.213.0.7:443"]);
  expect(text).toContain("upstream webapp_pool {\n    server 10.213.0.5:443;\n    server 10.213.0.6:443;\n    server 10.213.0.7:443;\n}\n");
  const drained = markServers(text, ["10.213.0.5"], true);
  expect(downServers(drained)).toEqual(["10.213.0.5"]);
  expect(markServers(drained, ["10.213.0.5"], true)).toBe(drained); // twice: the same file
  expect(markServers(drained, ["10.213.0.5"], false)).toBe(text);
  expect(downServers(markServers("    server 10.213.0.50:443 max_fails=2;\n    server 10.213.0.5:443;\n", ["10.213.0.5"], true))).toEqual(["10.213.0.5"]);
  expect(markServers("    server 10.213.0.5:443 max_fails=2;\n", ["10.213.0.5"], true)).toBe("    server 10.213.0.5:443 max_fails=2 down;\n");
});

describe("aws: the CLI's argv (a stand-in `aws` on PATH records it)", () => {
  let dir: string;
  let savedPath: string | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-aws-standin-"));
    // the stand-in: one argv per line (NUL-separated words), fails when told to
    fs.writeFileSync(path.join(dir, "aws"), `#!/bin/sh\nfor a; do printf '%s\\0' "$a"; done >> "${dir}/calls"; echo >> "${dir}/calls"\n[ -f "${dir}/fail" ] && { echo "An error occurred (AccessDenied) when calling the DeregisterTargets operation: denied" >&2; exit 254; }\nexit 0\n`, { mode: 0o755 });
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter(Boolean).map((l) => l.split("\0").filter(Boolean));

  test("drain deregisters and waits; restore registers and waits for in-service; ip targets with a port", async () => {
    const b = new AwsBalancer({ targetGroupArn: ARN, region: "eu-west-1", targetType: "ip", instanceIds: {}, port: 443 }, awsCli);
    await b.drain([host("webapp", "10.0.1.5"), host("webapp-2", "10.0.1.6")]);
    await b.restore([host("webapp", "10.0.1.5")]);
    const common = ["--region", "eu-west-1", "--target-group-arn", ARN, "--targets"];
    expect(calls()).toEqual([
      ["elbv2", "deregister-targets", ...common, "Id=10.0.1.5,Port=443", "Id=10.0.1.6,Port=443"],
      ["elbv2", "wait", "target-deregistered", ...common, "Id=10.0.1.5,Port=443", "Id=10.0.1.6,Port=443"],
      ["elbv2", "register-targets", ...common, "Id=10.0.1.5,Port=443"],
      ["elbv2", "wait", "target-in-service", ...common, "Id=10.0.1.5,Port=443"],
    ]);
  });

  test("instance targets use the outputs' instance ids; a host without one is an error; the CLI's error is one line", async () => {
    fs.rmSync(path.join(dir, "calls"), { force: true });
    const b = new AwsBalancer({ targetGroupArn: ARN, region: "eu-west-1", targetType: "instance", instanceIds: { webapp: "i-0abc" } });
    await b.drain([host("webapp", "10.0.1.5")]);
    expect(calls()[0]).toContain("Id=i-0abc");
    await expect(b.drain([host("webapp-2", "10.0.1.6")])).rejects.toThrow("no instance id for webapp-2 in the outputs (the target group registers instances)");
    fs.writeFileSync(path.join(dir, "fail"), "");
    await expect(b.drain([host("webapp", "10.0.1.5")])).rejects.toThrow("aws elbv2 deregister-targets: An error occurred (AccessDenied) when calling the DeregisterTargets operation: denied");
  });
});

describe("lab stand-in: the commands it runs on the bastion, run here by /bin/sh with a stand-in nginx on PATH", () => {
  let dir: string;
  let exec: BastionExec;
  const sent: string[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-lab-lb-"));
    fs.mkdirSync(path.join(dir, "bin"));
    // the stand-in nginx: records its argv; `-t` fails when the file "fail-test" exists
    fs.writeFileSync(path.join(dir, "bin", "nginx"), `#!/bin/sh\necho "$*" >> "${dir}/nginx.calls"\ncase "$*" in *-t*) [ -f "${dir}/fail-test" ] && { echo "nginx: [emerg] invalid" >&2; exit 1; };; esac\nexit 0\n`, { mode: 0o755 });
    // what the SSH connection would run on the bastion; sudo -n is the bastion's (this test is not root)
    exec = async (command, stdin) => {
      sent.push(command);
      const r = spawnSync("/bin/sh", ["-c", command.replace(/^sudo -n /, "")], { input: stdin ?? "", encoding: "utf8", env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("drain marks the host down and reloads; restore takes the mark away; a failing nginx -t keeps the old file", async () => {
    const up = path.join(dir, "upstream.conf");
    fs.writeFileSync(up, renderUpstream("webapp_pool", ["10.213.0.10:443", "10.213.0.11:443"]));
    const lb = new LabBalancer({ upstreamFile: up, nginxConf: path.join(dir, "nginx.conf") }, exec);
    await lb.drain([host("webapp", "10.213.0.10")]);
    expect(downServers(fs.readFileSync(up, "utf8"))).toEqual(["10.213.0.10"]);
    expect(fs.readFileSync(path.join(dir, "nginx.calls"), "utf8")).toBe(`-q -t -c ${dir}/nginx.conf\n-c ${dir}/nginx.conf -s reload\n`);
    expect(sent.every((c) => c.startsWith("sudo -n "))).toBe(true);
    await lb.restore([host("webapp", "10.213.0.10")]);
    expect(downServers(fs.readFileSync(up, "utf8"))).toEqual([]);
    fs.writeFileSync(path.join(dir, "fail-test"), "");
    const before = fs.readFileSync(up, "utf8");
    await expect(lb.drain([host("webapp-2", "10.213.0.11")])).rejects.toThrow("nginx on the bastion: nginx: [emerg] invalid");
    expect(fs.readFileSync(up, "utf8")).toBe(before);
    await expect(lb.drain([host("webapp-3", "10.213.0.12")])).rejects.toThrow(`webapp-3 not in ${up}`);
  });
});
