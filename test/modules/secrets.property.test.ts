/**
 * Property test of the secret guard (issue 15.1), through the REAL agent: for every module and
 * every argument that reaches a command line, a path or an environment on the host, a vault
 * value placed there at random (random value, random position in the argument) is refused
 * before anything showing it is sent. What "sent" means is read from the bytes written to the
 * agent's stdin (test/modules/harness.ts `sent`), with the two fields a secret may travel in
 * (sh stdin, write content) taken out: the check does not trust the guard's own field list.
 *
 * The storage modules run against a declared volume whose disk does not exist (nothing is
 * formatted or mounted): their `fstab`/`crypttab` paths are what reaches the host. Not here:
 * `volume` names (they select a volume of the inventory, never a free string on the host)
 * and luks' passphrase (stdin, the allowed place; test/storage).
 */
import fc from "fast-check";
import * as path from "path";
import { modules } from "../../runner/modules";
import { startHost, type TestHost } from "./harness";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ prefix: "mt-secret-prop-" });
  require("fs").writeFileSync(path.join(host.templates, "plain.hbs"), "plain\n");
});
afterAll(() => host.close());

/** module → argument → the task's arguments with the text `s` (holding the secret) in that argument */
type Place = (s: string, dir: string) => Record<string, unknown>;
const CASES: Record<string, Record<string, Place>> = {
  command: {
    cmd: (s) => ({ cmd: `echo ${s}` }),
    chdir: (s, d) => ({ cmd: "true", chdir: `${d}/${s}` }),
    creates: (s, d) => ({ cmd: "true", creates: `${d}/${s}` }),
    removes: (s, d) => ({ cmd: "true", removes: `${d}/${s}` }),
    unless: (s) => ({ cmd: "true", unless: `test x = ${s}` }),
  },
  shell: {
    cmd: (s) => ({ cmd: `echo ${s} > /dev/null` }),
    chdir: (s, d) => ({ cmd: "true", chdir: `${d}/${s}` }),
    creates: (s, d) => ({ cmd: "true", creates: `${d}/${s}` }),
    unless: (s) => ({ cmd: "true", unless: `test x = ${s}` }),
  },
  show: { cmd: (s) => ({ cmd: `echo ${s}` }) },
  git: {
    repo: (s) => ({ repo: `https://x:${s}@git.example.invalid/r.git`, dest: "/nonexistent/r", version: "v1" }),
    dest: (s, d) => ({ repo: "https://git.example.invalid/r.git", dest: `${d}/${s}`, version: "v1" }),
  },
  file: {
    path: (s, d) => ({ path: `${d}/${s}`, state: "touch" }),
    src: (s, d) => ({ path: `${d}/link`, state: "link", src: `/tmp/${s}` }),
    owner: (s, d) => ({ path: d, state: "directory", owner: s }),
    group: (s, d) => ({ path: d, state: "directory", group: s }),
  },
  template: {
    dest: (s, d) => ({ src: "plain.hbs", dest: `${d}/${s}` }),
    validate: (s, d) => ({ src: "plain.hbs", dest: `${d}/t.conf`, validate: `test -n ${s} %s` }),
    owner: (s, d) => ({ src: "plain.hbs", dest: `${d}/t2.conf`, owner: s }),
  },
  copy: {
    dest: (s, d) => ({ content: "x\n", dest: `${d}/${s}` }),
    validate: (s, d) => ({ content: "x\n", dest: `${d}/c.conf`, validate: `test -n ${s} %s` }),
  },
  lineinfile: { path: (s, d) => ({ path: `${d}/${s}`, line: "x", create: true }) },
  user: {
    name: (s) => ({ name: s }),
    home: (s) => ({ name: "nobody", home: `/home/${s}` }),
  },
  cron: { user: (s) => ({ user: s, name: "block", jobs: [] }) },
  package: { name: (s) => ({ name: s }) },
  service: { name: (s) => ({ name: s, state: "started" }) }, // auto: supervisorctl is always asked, with the name
  mount: { fstab: (s, d) => ({ volume: "v", fstab: `${d}/${s}` }) },
  luks: { crypttab: (s, d) => ({ volume: "v", passphrase: "not-the-secret-pw", crypttab: `${d}/${s}`, open: false }) },
};

/** a declared volume whose disk is not there (the storage modules stop before touching anything) */
const VOLUMES = { v: { volumeId: "vol-0feedfacefeedface", device: "/dev/mt-no-such-disk", mountPoint: "/mnt/mt-no-such-mount", filesystem: "xfs", encryption: "none" } };

test("every module named in the cases exists, and every module with free-text host arguments has a case", () => {
  for (const m of Object.keys(CASES)) expect(modules[m]).toBeDefined();
  // filesystem's one free-text argument, label (12 characters at most), reaches mkfs only on a
  // blank disk: the guard's own test (test/runner/guard.test.ts) covers every sh field. The health
  // gates (wait_for, http_check, uri) send their arguments only on the stdin of `python3 -`, the
  // allowed place (runner/facts/health.ts), and from the controller nothing reaches the host
  expect(Object.keys(modules).filter((m) => !(m in CASES))).toEqual(["filesystem", "wait_for", "http_check", "uri"]);
});

/** What the host was sent in these request lines, without the two places a secret may be. */
function visibleSent(lines: string[]): string {
  return lines
    .flatMap((l) => l.split("\n").filter((x) => x.startsWith("{")))
    .map((l) => {
      const req = JSON.parse(l) as { ops: Record<string, unknown>[] };
      return JSON.stringify(req.ops.map(({ stdin: _s, content: _c, ...rest }) => rest));
    })
    .join("\n");
}

const placement = fc
  .constantFrom(...Object.entries(CASES).flatMap(([m, args]) => Object.keys(args).map((a) => [m, a] as const)))
  .chain(([m, a]) => fc.record({ module: fc.constant(m), arg: fc.constant(a), secret: fc.stringMatching(/^[a-z][a-z0-9]{7,15}$/) }));

/** one placement: the secret refused, and nothing showing it written to the agent */
async function refused({ module, arg, secret }: { module: string; arg: string; secret: string }): Promise<void> {
  host.secrets.add(secret);
  const from = host.sent.length;
  const raw = CASES[module][arg](secret, host.dir);
  let outcome: string;
  try {
    const r = await host.run(modules[module], raw, { volumes: VOLUMES });
    outcome = r.problem ?? (r.plan.status === "failed" ? r.plan.msg : `not refused: ${r.plan.status} ${r.plan.msg}`);
  } catch (e) {
    outcome = (e as Error).message;
  }
  expect(visibleSent(host.sent.slice(from))).not.toContain(secret);
  expect(`${module}.${arg}: ${outcome}`).toMatch(/secret/);
}

test("every placement once (each module argument that reaches the host)", async () => {
  for (const [module, args] of Object.entries(CASES)) for (const arg of Object.keys(args)) await refused({ module, arg, secret: `vault${module}${arg}`.toLowerCase().replace(/[^a-z0-9]/g, "") });
}, 120_000);

test("a vault value anywhere in a module argument that reaches the host is refused before it is sent (property)", async () => {
  await fc.assert(fc.asyncProperty(placement, refused), { numRuns: 60 });
}, 120_000);

test("the one allowed place still works: a secret in stdin is sent (in stdin only)", async () => {
  const secret = "stdin-allowed-secret-42";
  host.secrets.add(secret);
  const from = host.sent.length;
  const r = await host.run(modules.shell, { cmd: "cat > /dev/null", stdin: secret });
  expect(r.problem).toBeUndefined();
  expect(r.plan.status).toBe("changed");
  expect(host.sent.slice(from).join("")).toContain(Buffer.from(secret).toString("base64"));
  expect(visibleSent(host.sent.slice(from))).not.toContain(secret);
});
