/**
 * The secret guard in the agent client (runner/agent/guard.ts): every field of every op type
 * that could show on the host (argv, path, environment, user) is refused when it holds a vault
 * value, and the refusal happens in `AgentClient.call` before a byte is written to the channel.
 * stdin and file contents are the two places a secret may travel, and pass.
 */
import { PassThrough } from "stream";
import { AgentClient, type AgentChannel } from "../../runner/agent/client";
import { secretOnCommandLine, SecretRefusedError, visibleFields } from "../../runner/agent/guard";
import type { Op } from "../../runner/agent/protocol";
import { Masker } from "../../runner/secrets/mask";

const SECRET = "s3cret-Vault-Value";
const masker = new Masker();
masker.add(SECRET);

/** one op of every type with every string field set to `v` (stdin/content excluded) */
function everyOp(v: string): Op[] {
  return [
    { op: "sh", script: v, cwd: v, user: v, env: { X: v } },
    { op: "sh", script: "true", env: { [v]: "1" } },
    { op: "write", path: v, content: "", validate: v, owner: v, group: v, mode: v },
    { op: "stat", path: v },
    { op: "path", path: v, state: "link", src: v, owner: v, group: v, mode: v },
    { op: "account", name: v },
    { op: "crontab", user: v },
  ];
}

test("every visible field of every op type is checked: a secret in any one of them is refused", () => {
  for (const op of everyOp(`x ${SECRET} y`)) {
    const fields = visibleFields(op).filter((f) => f !== undefined);
    expect(fields.length).toBeGreaterThan(0);
    // each field alone: put the secret only there and the op is refused
    fields.forEach((_, i) => {
      const one = JSON.parse(JSON.stringify(op).split(`x ${SECRET} y`).join("plain")) as Op;
      const keys = Object.entries(op).filter(([, val]) => val === `x ${SECRET} y`).map(([k]) => k);
      if (keys[i]) (one as unknown as Record<string, string>)[keys[i]] = SECRET;
      if (keys[i]) expect(secretOnCommandLine([one], masker)).toMatch(/^refusing to send a secret/);
    });
    expect(secretOnCommandLine([op], masker)).toMatch(new RegExp(`refusing to send a secret .*: ${op.op} op$`));
  }
  expect(secretOnCommandLine(everyOp("harmless"), masker)).toBeUndefined();
});

test("stdin and file content may carry a secret (plain and base64)", () => {
  const b64 = Buffer.from(SECRET).toString("base64");
  expect(secretOnCommandLine([{ op: "sh", script: "cryptsetup open --key-file - x", stdin: b64 }], masker)).toBeUndefined();
  expect(secretOnCommandLine([{ op: "write", path: "/etc/app.conf", content: b64 }], masker)).toBeUndefined();
  // the base64 form in a visible field is still the secret
  expect(secretOnCommandLine([{ op: "sh", script: `echo ${b64} | base64 -d` }], masker)).toMatch(/refusing/);
});

test("AgentClient.call refuses before writing anything to the channel; the next clean call goes out", async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const written: string[] = [];
  stdin.on("data", (b: Buffer) => written.push(b.toString()));
  const channel: AgentChannel = { stdin, stdout, stderr: new PassThrough(), onClose: () => undefined, close: () => undefined };
  // a stand-in agent: answers the facts request (id 1) and then every request with one empty result per op
  stdin.on("data", (b: Buffer) => {
    for (const line of b.toString().split("\n")) {
      if (!line.startsWith("{")) continue;
      const req = JSON.parse(line) as { id: number; ops: Op[] };
      stdout.write(JSON.stringify({ id: req.id, results: req.ops.map(() => ({ ok: true, exists: false })) }) + "\n");
    }
  });
  const client = await AgentClient.start("stand-in", channel, masker);
  const before = written.join("");
  const trips = client.roundTrips;
  await expect(client.call([{ op: "stat", path: "/etc/hosts" }, { op: "sh", script: `echo ${SECRET}` }])).rejects.toBeInstanceOf(SecretRefusedError);
  expect(written.join("")).toBe(before);
  expect(client.roundTrips).toBe(trips);
  await expect(client.call([{ op: "stat", path: "/etc/hosts" }])).resolves.toHaveLength(1);
  expect(written.join("").length).toBeGreaterThan(before.length);
  expect(written.join("")).not.toContain(SECRET);
});
