/**
 * `multitier modules`: the module reference comes from the modules' own schemas, so it lists
 * exactly the arguments each module accepts (an argument the schema does not know would be
 * refused by the playbook loader; one the reference forgot would be a lie).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { modules } from "../../runner/modules";
import { moduleArguments, moduleReference } from "../../runner/modules/reference";

const CLI = path.join(__dirname, "..", "..", "bin", "multitier.js");

test("every argument a module's schema accepts is listed, with type, required and default", () => {
  expect(moduleArguments(modules.cron.args)).toEqual([
    { name: "user", type: "string", required: true },
    { name: "name", type: "string", required: true },
    { name: "jobs", type: "list of mapping", required: false, default: [] },
    { name: "state", type: "present | absent", required: false, default: "present" },
  ]);
  expect(moduleReference(modules.service).split("\n")).toEqual([
    `service — ${modules.service.doc}`,
    expect.stringMatching(/^  name +string \(required\)$/),
    expect.stringMatching(/^  state +started \| stopped \| restarted \| reloaded$/),
    expect.stringMatching(/^  enabled +boolean$/),
    expect.stringMatching(/^  backend +auto \| systemd \| supervisord \(default "auto"\)$/),
    expect.stringMatching(/^  config +string$/),
  ]);
  // each listed name is accepted by the schema (no argument invented) for every module
  for (const [name, m] of Object.entries(modules)) {
    const listed = moduleArguments(m.args).map((a) => a.name);
    expect([name, listed.length > 0]).toEqual([name, true]);
    const r = m.args.safeParse(Object.fromEntries(listed.map((k) => [k, undefined])));
    const unknown = r.success ? [] : r.error.issues.filter((i) => i.code === "unrecognized_keys");
    expect([name, unknown]).toEqual([name, []]);
  }
});

test("the CLI: every module in the reference, one by name, JSON, and an unknown name is exit 1", () => {
  const all = spawnSync(CLI, ["modules"], { encoding: "utf8" });
  expect(all.status).toBe(0);
  for (const name of Object.keys(modules)) expect(all.stdout).toMatch(new RegExp(`^${name} — `, "m"));
  const json = JSON.parse(spawnSync(CLI, ["modules", "mount", "--json"], { encoding: "utf8" }).stdout);
  expect(json).toEqual([{ name: "mount", doc: modules.mount.doc, arguments: moduleArguments(modules.mount.args) }]);
  const bad = spawnSync(CLI, ["modules", "tempalte"], { encoding: "utf8" });
  expect(bad.status).toBe(1);
  expect(bad.stderr.trim()).toBe('argument name: no module "tempalte"; did you mean "template"?');
});
