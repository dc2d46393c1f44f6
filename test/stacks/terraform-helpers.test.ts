/**
 * The pieces of terraform/validate.ts that need no terraform: finding a provider mirror at run
 * time (a stand-in mirror of empty files in a temp dir, named as such), the CLI config it
 * writes, and re-pinning a stack (backend dropped, provider version replaced, original intact).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findProviderMirror, firstErrorLine, providerSetup, repin } from "../../terraform/validate";

const plat = `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`;
let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-tfhelp-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const standInMirror = (root: string, versions: string[]) => {
  for (const v of versions) {
    const dir = path.join(root, "registry.terraform.io", "hashicorp", "aws", v, plat);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `terraform-provider-aws_v${v}_x5`), "");
  }
};

describe("stand-in provider mirror", () => {
  test("MULTITIER_TF_MIRROR names the root; the highest version for this platform wins", () => {
    const root = path.join(tmp, "mirror");
    standInMirror(root, ["5.9.0", "5.100.0", "5.10.0"]);
    fs.mkdirSync(path.join(root, "registry.terraform.io", "hashicorp", "aws", "6.0.0", "other_arch"), { recursive: true });
    expect(findProviderMirror({ MULTITIER_TF_MIRROR: root, HOME: tmp })).toEqual({ root, version: "5.100.0" });
  });

  test("found two levels under ~/.terraform.d/plugins without being told", () => {
    const root = path.join(tmp, "home", ".terraform.d", "plugins", "a", "b");
    standInMirror(root, ["5.1.0"]);
    expect(findProviderMirror({ HOME: path.join(tmp, "home") })?.root).toBe(root);
  });

  test("a root without the provider binary is no mirror", () => {
    const root = path.join(tmp, "empty");
    fs.mkdirSync(path.join(root, "registry.terraform.io", "hashicorp", "aws", "5.1.0", plat), { recursive: true });
    expect(findProviderMirror({ MULTITIER_TF_MIRROR: root, HOME: tmp })).toBeUndefined();
  });

  test("the CLI config points at the mirror with a plugin cache; the version to pin is the mirror's", () => {
    const setup = providerSetup({ workDir: tmp, cacheDir: path.join(tmp, "cache"), mirror: { root: "/m", version: "5.100.0" }, env: {} });
    expect(setup.pin).toBe("5.100.0");
    expect(fs.readFileSync(setup.env.TF_CLI_CONFIG_FILE!, "utf8")).toBe(
      `provider_installation {\n  filesystem_mirror {\n    path    = "/m"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\nplugin_cache_dir = ${JSON.stringify(path.join(tmp, "cache"))}\n`,
    );
    const own = providerSetup({ workDir: tmp, cacheDir: path.join(tmp, "cache"), env: { TF_CLI_CONFIG_FILE: "/nonexistent" } });
    expect([own.pin, own.env.TF_CLI_CONFIG_FILE, own.env.TF_PLUGIN_CACHE_DIR]).toEqual([undefined, undefined, path.join(tmp, "cache")]);
  });
});

test("repin drops the backend and sets the provider version on a copy", () => {
  const stack = { terraform: { backend: { s3: { bucket: "b" } }, required_providers: { aws: { source: "aws", version: "6.25.0" } } }, resource: {} };
  expect(repin(stack, "5.100.0").terraform).toEqual({ required_providers: { aws: { source: "aws", version: "5.100.0" } } });
  expect(stack.terraform.backend).toEqual({ s3: { bucket: "b" } });
  expect(repin(stack).terraform.required_providers.aws.version).toBe("6.25.0");
});

test("terraform's framed error becomes one line with its explanation", () => {
  const framed = [
    "Initializing provider plugins...",
    "╷",
    "│ Error: Failed to query available provider packages",
    "│ ",
    "│ Could not retrieve the list of available versions for provider",
    "│ hashicorp/aws: could not connect to registry.terraform.io",
    "╵",
    "",
  ].join("\n");
  expect(firstErrorLine(framed)).toBe("Error: Failed to query available provider packages: Could not retrieve the list of available versions for provider hashicorp/aws: could not connect to registry.terraform.io");
  expect(firstErrorLine("Initializing...\nsomething else\n")).toBe("something else");
});
