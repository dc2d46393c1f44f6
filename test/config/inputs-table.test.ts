/**
 * README.md's "Environment files" inputs table is generated from the schema (make docs-inputs):
 * this fails when the README is stale, when an input has no description, or when a
 * description names an input the schema does not have.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { INPUT_DOCS } from "../../config/inputs-doc";
import { BEGIN, END, inputs, inputsTable, withInputsTable } from "../../config/inputs-table";

const ROOT = path.join(__dirname, "..", "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("README inputs table", () => {
  test("the README's table is what make docs-inputs generates (not stale)", () => {
    expect(readme).toContain(BEGIN);
    expect(withInputsTable(readme)).toBe(readme);
  });

  test("every input has a description and every description an input", () => {
    const names = inputs().map((i) => i.name);
    expect(names.filter((n) => !INPUT_DOCS[n])).toEqual([]);
    expect(Object.keys(INPUT_DOCS).filter((n) => !names.includes(n))).toEqual([]);
  });

  test("it names the login users (bastion.user, tiers.<t>.user) and shows schema defaults", () => {
    const table = inputsTable();
    expect(table).toMatch(/^\| <a name="input_bastion_user"><\/a> `bastion\.user` \| login user on the bastion \(default: sshUser\) \| string \| — \| no \|$/m);
    expect(table).toMatch(/^\| <a name="input_tiers_t_user"><\/a> `tiers\.<t>\.user` \| .* \| string \| — \| no \|$/m);
    expect(table).toMatch(/^\| .*`network\.ipv6` \| .* \| bool \| `true` \| no \|$/m);
    expect(table).toMatch(/^\| .*`tiers\.<t>\.volumes\[\]\.mountOptions` \| .* \| list\(string\) \| `\["defaults", "noatime"\]` \| no \|$/m);
    expect(table).toMatch(/^\| .*`region` \| .* \| string \| n\/a \| yes \|$/m);
  });

  test("make docs-inputs --check: 0 on the README, 1 with one line on a stale copy (real script)", () => {
    const check = (file: string) => spawnSync(process.execPath, ["--import", "tsx", "scripts/docs-inputs.ts", "--check", file], { cwd: ROOT, encoding: "utf8" });
    expect([check("README.md").status, check("README.md").stdout]).toEqual([0, "README.md: inputs table up to date\n"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-docs-"));
    try {
      const stale = path.join(dir, "README.md");
      fs.writeFileSync(stale, readme.replace(/^\| .*`bastion\.user`.*\n/m, ""));
      const r = check(stale);
      expect([r.status, r.stderr]).toEqual([1, `${stale}: the inputs table is stale; run make docs-inputs\n`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
