/**
 * YAML anchors and merge keys in environment files and playbooks (issue 16): accepted, so
 * operators can share volume definitions; an error in a merged value is reported where the
 * value is written (in the anchored mapping), an override where it is overridden; what YAML
 * cannot merge, alias loops and alias explosions are one-line errors. Also: rules declared
 * twice (found by the property test: the stack could not be synthesized) and errors that
 * quote control characters stay one line.
 */
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { parsePlaybook } from "../../runner/playbook";
import { synthEnv } from "../stacks/synth";

const ROOT = path.join(__dirname, "..", "..");
const production = fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8");

const CODE = "{ name: code, sizeGb: 10, device: /dev/sdf, mountPoint: /code, filesystem: ext4, mountOptions: [defaults, noatime, exec], holdsData: false }";
const LOG = "{ name: log, sizeGb: 10, device: /dev/sdg, mountPoint: /log, filesystem: ext4, mountOptions: [defaults, noatime, noexec] }";

/** production.yaml with the webapp's volumes anchored and shared by the analysis tier. */
function shared(webappCode = CODE, analysisVolumes = "      - <<: *code\n      - <<: *log\n        sizeGb: 20\n"): string {
  const text = production
    .replace(`      - ${CODE}\n      - ${LOG}\n\n  analysis:`, `      - &code ${webappCode}\n      - &log ${LOG}\n\n  analysis:`)
    .replace(/(  analysis:\n(?:    .*\n)*?    volumes:\n)      - \{ name: code.*\n      - \{ name: log.*\n/, `$1${analysisVolumes}`);
  if (!text.includes("&code") || !text.includes(analysisVolumes)) throw new Error("the fixture edit did not apply");
  return text;
}

const check = (text: string, file = "hosts/production.yaml") => checkEnvironment(new YamlSource(file, text));
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("YAML merge keys and anchors", () => {
  test("merged volumes are accepted, overrides win, and the stack synthesizes them", () => {
    const { env, errors } = check(shared());
    expect(errors.map((e) => e.message)).toEqual([]);
    const analysis = env!.tiers.analysis.volumes;
    expect(analysis.map((v) => [v.name, v.sizeGb, v.device, v.mountPoint])).toEqual([
      ["code", 10, "/dev/sdf", "/code"],
      ["log", 20, "/dev/sdg", "/log"],
    ]);
    const synth = synthEnv(env!);
    const sizes = synth.of("aws_ebs_volume").map(([, v]) => v.size);
    expect(sizes).toContain(20);
  });

  test("an error in a merged value is reported where the anchor writes it", () => {
    const text = shared(CODE.replace("sizeGb: 10", 'sizeGb: "big"'));
    const { errors } = check(text);
    const line = lineOf(text, "&code");
    const col = text.split("\n")[line - 1].indexOf('"big"') + 1;
    // the webapp's own volume and the analysis's merged copy both point at the anchor's text
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(new RegExp(`^hosts/production\\.yaml:${line}:${col} tiers\\.webapp\\.volumes\\[0\\]\\.sizeGb: `)),
      expect.stringMatching(new RegExp(`^hosts/production\\.yaml:${line}:${col} tiers\\.analysis\\.volumes\\[0\\]\\.sizeGb: `)),
    ]);
  });

  test("an error in an override is reported at the override", () => {
    const text = shared(CODE, "      - <<: *code\n      - <<: *log\n        sizeGb: -3\n");
    const { errors } = check(text);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(new RegExp(`^hosts/production\\.yaml:${lineOf(text, "sizeGb: -3")}:17 tiers\\.analysis\\.volumes\\[1\\]\\.sizeGb: `));
  });

  test("a list of merge sources: earlier sources win over later ones", () => {
    const text = shared(CODE, "      - <<: [*code, *log]\n      - <<: *log\n        name: log2\n        device: /dev/sdh\n        mountPoint: /log2\n");
    const { env, errors } = check(text);
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(env!.tiers.analysis.volumes[0]).toMatchObject({ name: "code", device: "/dev/sdf", mountPoint: "/code" });
  });

  test.each([
    ["a merge of a scalar", "      - <<: 5\n", /^hosts\/production\.yaml:\d+:13 <<: a merge key takes a mapping, an alias of one \(\*name\) or a list of them$/],
    ["an alias before its anchor", "      - *later\n", /^hosts\/production\.yaml:\d+:9: invalid YAML: Unresolved alias \(the anchor must be set before the alias\): later$/],
  ])("%s is one line at its place", (_name, volumes, expected) => {
    const { errors } = check(shared(CODE, volumes));
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(expected)]);
  });

  test("an alias inside its own anchor and an alias explosion are one line each", () => {
    expect(check("a: &a [*a]\n").errors.map((e) => e.message)).toEqual(["hosts/production.yaml:1:8: an alias inside its own anchor (the value would contain itself)"]);
    const laughs = ["a: &a [1,1,1,1,1,1,1,1,1,1]", "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]", "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]", "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]"].join("\n");
    expect(check(laughs).errors.map((e) => e.message)).toEqual([expect.stringMatching(/^hosts\/production\.yaml:2:8: too many alias expansions \(at most 100\)/)]);
  });

  test("a playbook may share task arguments through a merge key", () => {
    const text = `- name: shared\n  hosts: webapp\n  tasks:\n    - name: a\n      file: &dir { path: /srv/a, state: directory, mode: "0755" }\n    - name: b\n      file:\n        <<: *dir\n        path: /srv/b\n`;
    const book = parsePlaybook(new YamlSource(path.join("playbooks", "shared.yml"), text), "shared");
    expect(book.plays[0].tasks.map((t) => t.args)).toEqual([
      { path: "/srv/a", state: "directory", mode: "0755" },
      { path: "/srv/b", state: "directory", mode: "0755" },
    ]);
  });
});

describe("refusals the property test found", () => {
  test("a security-group rule declared twice is one error at the repeat (the stack could not synthesize it)", () => {
    const text = production.replace("from: [webapp, analysis, notebook]", "from: [webapp, analysis, notebook, webapp]");
    const { errors } = check(text);
    const line = lineOf(text, "notebook, webapp]");
    const col = text.split("\n")[line - 1].lastIndexOf("webapp") + 1;
    expect(errors.map((e) => e.message)).toEqual([
      `hosts/production.yaml:${line}:${col} tiers.database.serves[0].from[3]: duplicates the rule from "webapp" on tcp 27017 of tiers.database.serves[0].from[0]: AWS refuses a security-group rule twice`,
    ]);
  });

  test("an egress rule the tool adds itself is refused, naming where it comes from", () => {
    const text = production.replace("      - { port: 9418, to: [0.0.0.0/0, \"::/0\"], description: git protocol for code checkouts }", "      - { port: 9418, to: [0.0.0.0/0, \"::/0\"], description: git protocol for code checkouts }\n      - { port: 443, to: [\"0::/0\"] }");
    const { errors } = check(text);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/ tiers\.webapp\.egress\[1\]\.to\[0\]: duplicates the rule to "0::\/0" on tcp 443 of the HTTP\/HTTPS egress every server has: /)]);
  });

  test("a key holding a line break or a bidi override is quoted escaped: the error stays one line", () => {
    const text = production.replace("    subnet: private", '    subnet: private\n    "sub\\r\\nnet\\u202e": x');
    const { errors } = check(text);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).not.toMatch(/[\r\n\u202e]/);
    expect(errors[0].message).toContain("tiers.database.sub\\r\\nnet\\u202e: unknown key");
  });
});
