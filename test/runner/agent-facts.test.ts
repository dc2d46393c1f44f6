/**
 * The agent's facts, from the REAL agent started as a local process: they are read from
 * /proc and the os module (no `ip` process, no socket import: each costs milliseconds on every
 * host and run), so they are checked here against what the system's own tools report.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AgentClient, localChannel } from "../../runner/agent/client";

let agent: AgentClient;

beforeAll(async () => {
  agent = await AgentClient.start("local", localChannel(false));
});
afterAll(() => agent.close());

test("addresses: the same IPv4 and global IPv6 addresses as `ip -j addr show`, without loopback", () => {
  const links = JSON.parse(execFileSync("ip", ["-j", "addr", "show"], { encoding: "utf8" })) as { addr_info: { family: string; scope: string; local: string }[] }[];
  const all = links.flatMap((l) => l.addr_info);
  const ipv4 = all.filter((a) => a.family === "inet" && a.scope !== "host").map((a) => a.local);
  const ipv6 = all.filter((a) => a.family === "inet6" && a.scope === "global").map((a) => a.local);
  expect([...agent.facts.addresses.ipv4].sort()).toEqual([...new Set(ipv4)].sort());
  expect([...agent.facts.addresses.ipv6].sort()).toEqual([...new Set(ipv6)].sort());
  expect(agent.facts.addresses.ipv4).not.toContain("127.0.0.1");
});

test("hostname, user and kernel are this machine's", () => {
  expect(agent.facts.hostname).toBe(os.hostname());
  expect(agent.facts.uid).toBe(process.getuid?.());
  expect(agent.facts.kernel).toBe(os.release());
});

test("IPv6 addresses are written the short way (RFC 5952), as `ip` writes them", () => {
  // the agent's formatter alone (its source without the request loop), on the cases where a
  // hand-written one usually goes wrong: two equal runs of zeros, a single zero group, all zeros
  const source = fs.readFileSync(path.join(__dirname, "..", "..", "runner", "agent", "agent.py"), "utf8").replace(/\nmain\(\)\n*$/, "\n");
  const script = 'import json,sys; g={}; exec(sys.stdin.read(), g); print(json.dumps([g["ipv6_text"](h) for h in sys.argv[1:]]))';
  const cases: Record<string, string> = {
    fd000000000000000000000000000002: "fd00::2",
    "20010db8000000000001000000000001": "2001:db8::1:0:0:1",
    "20010db8000000010000000000000001": "2001:db8:0:1::1",
    "00000000000000000000000000000000": "::",
    fe800000000000000000000000000000: "fe80::",
    "20010db8000100020003000400050006": "2001:db8:1:2:3:4:5:6",
  };
  const out = execFileSync("python3", ["-S", "-c", script, ...Object.keys(cases)], { input: source, encoding: "utf8" });
  expect(JSON.parse(out)).toEqual(Object.values(cases));
});
