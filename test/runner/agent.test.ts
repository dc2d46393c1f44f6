/**
 * The agent's own work, from the REAL agent (a local process, or its source loaded without the
 * request loop). Facts, users, crontabs, JSON and checksums are done in the agent's process
 * (no `ip`, `getent`, `id` or `crontab` process, no json/hashlib/subprocess import: each costs
 * milliseconds on every host and run), so each is checked here against what the system's own
 * tools or Python's own modules say.
 */
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AgentClient, localChannel, NO_SECRETS } from "../../runner/agent/client";
import type { AccountResult, CrontabResult, StatResult } from "../../runner/agent/protocol";

const AGENT_PY = path.join(__dirname, "..", "..", "runner", "agent", "agent.py");

/** Run `script` with the agent's functions in `g` (its source without the request loop); stdout. */
function withAgent(script: string, args: string[] = []): string {
  const source = fs.readFileSync(AGENT_PY, "utf8").replace(/\nmain\(\)\n*$/, "\n");
  const prelude = "import sys; g={}; exec(sys.stdin.read(), g)\n";
  return execFileSync("python3", ["-S", "-c", prelude + script, ...args], { input: source, encoding: "utf8" });
}

let agent: AgentClient;

beforeAll(async () => {
  agent = await AgentClient.start("local", localChannel(false), NO_SECRETS);
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
  const cases: Record<string, string> = {
    fd000000000000000000000000000002: "fd00::2",
    "20010db8000000000001000000000001": "2001:db8::1:0:0:1",
    "20010db8000000010000000000000001": "2001:db8:0:1::1",
    "00000000000000000000000000000000": "::",
    fe800000000000000000000000000000: "fe80::",
    "20010db8000100020003000400050006": "2001:db8:1:2:3:4:5:6",
  };
  const out = withAgent('print(g["json_dumps"]([g["ipv6_text"](h) for h in sys.argv[1:]]))', Object.keys(cases));
  expect(JSON.parse(out)).toEqual(Object.values(cases));
});

test("JSON: the agent's codec (CPython's _json, without the json module) reads and writes what json does", () => {
  const data = { s: "é ✓ 𝄞 \u0000 \u001f \\ \" /", n: [0, -1, 2 ** 53, 1.5, -2.5e-7], b: [true, false, null], o: { nested: [[{}], []] }, e: "" };
  const out = withAgent(
    [
      "import json",
      "text = sys.argv[1]",
      "mine = g['json_loads'](text)",
      "print(json.dumps({'fallback': g['json_loads'] is json.loads,",
      "  'same_load': mine == json.loads(text), 'round_trip': json.loads(g['json_dumps'](mine)) == mine, 'compact': g['json_dumps'](mine) == json.dumps(mine, separators=(',', ':'))}))",
    ].join("\n"),
    [JSON.stringify(data)],
  );
  expect(JSON.parse(out)).toEqual({ fallback: false, same_load: true, round_trip: true, compact: true });
});

test("an agent's start and a no-op's kinds of op import none of json, re, hashlib, subprocess, signal, socket", () => {
  // what a no-op run asks: facts, a file's state and checksum, a user, a crontab (nobody has none)
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mt-agent-")), "f");
  fs.writeFileSync(file, "x\n");
  try {
    const out = withAgent(
      [
        "ops = [{'op': 'facts'}, {'op': 'stat', 'path': sys.argv[1], 'content': True}, {'op': 'account', 'name': 'root'}]",
        "if g['which']('crontab') and g['os'].getuid() == 0: ops.append({'op': 'crontab', 'user': 'nobody'})",
        "results = [g['OPS'][o['op']](o) for o in ops]",
        "heavy = ['json', 're', 'hashlib', 'subprocess', 'signal', 'socket', 'enum']",
        "print(g['json_dumps']({'ok': [r['ok'] for r in results], 'loaded': [m for m in heavy if m in sys.modules]}))",
      ].join("\n"),
      [file],
    );
    const r = JSON.parse(out) as { ok: boolean[]; loaded: string[] };
    expect(r.ok.every(Boolean)).toBe(true);
    expect(r.loaded).toEqual([]);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test("checksums: the built-in SHA-256 (small files) and OpenSSL's (over 1 MiB) both match", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-agent-"));
  try {
    const small = Buffer.from("small file\n");
    const big = crypto.randomBytes((1 << 20) + 3);
    fs.writeFileSync(path.join(dir, "small"), small);
    fs.writeFileSync(path.join(dir, "big"), big);
    const [s, b] = (await agent.call([{ op: "stat", path: path.join(dir, "small") }, { op: "stat", path: path.join(dir, "big") }])) as unknown as StatResult[];
    expect(s.sha256).toBe(crypto.createHash("sha256").update(small).digest("hex"));
    expect(b.sha256).toBe(crypto.createHash("sha256").update(big).digest("hex"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("account: what `getent passwd` and `id -nG` say, and exists: false for no such user", async () => {
  const [root, none] = (await agent.call([{ op: "account", name: "root" }, { op: "account", name: "no-such-user-mt" }])) as unknown as AccountResult[];
  const pw = execFileSync("getent", ["passwd", "root"], { encoding: "utf8" }).trim().split(":");
  expect(root).toMatchObject({ exists: true, uid: Number(pw[2]), gid: Number(pw[3]), home: pw[5], shell: pw[6] });
  expect([...root.groups!].sort()).toEqual(execFileSync("id", ["-nG", "root"], { encoding: "utf8" }).trim().split(/\s+/).sort());
  expect(none).toEqual({ ok: true, exists: false });
});

const rootWithCron = process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v crontab"]).status === 0 && fs.existsSync("/var/spool/cron/crontabs");
(rootWithCron ? describe : describe.skip)("crontab: what Debian's `crontab -l -u` lists (needs root and cron; uses nobody's crontab, removed after)", () => {
  const spoolFile = "/var/spool/cron/crontabs/nobody";
  afterAll(() => fs.rmSync(spoolFile, { force: true }));
  const header = "# DO NOT EDIT THIS FILE - edit the master and reinstall.\n# (- installed on Mon Nov 23 09:31:49 2026)\n# (Cron version -- $Id: crontab.c,v 2.13 1994/01/17 03:20:37 vixie Exp $)\n";
  const cases: [string, string | undefined][] = [
    ["written by crontab (header hidden)", header + "# mine\n* * * * * x\n"],
    ["no leading comment", "* * * * * x\n# trailing\n"],
    ["leading comments without the header (crontab -l decides)", "# a\n# b\n# c\n# d\n* * * * * x\n"],
    ["header only", header],
    ["empty", ""],
    ["none", undefined],
  ];
  test.each(cases)("%s", async (_name, content) => {
    if (content === undefined) fs.rmSync(spoolFile, { force: true });
    else fs.writeFileSync(spoolFile, content, { mode: 0o600 });
    const listed = spawnSync("crontab", ["-l", "-u", "nobody"], { encoding: "utf8" });
    const [tab] = (await agent.call([{ op: "crontab", user: "nobody" }])) as unknown as CrontabResult[];
    expect(tab).toEqual({ ok: true, exists: listed.status === 0, content: listed.status === 0 ? listed.stdout : "" });
  });
  test("no such user: one line naming the user", async () => {
    const [r] = await agent.call([{ op: "crontab", user: "no-such-user-mt" }]);
    expect(r).toEqual({ ok: false, error: "no such user: no-such-user-mt" });
  });
});
