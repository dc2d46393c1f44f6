// Worker thread of test/config/fuzz.test.ts: runs one generated case through the functions
// the CLI itself uses (`validate`: checkEnvironment; `synth`: EnvironmentStack; deploy's
// loading of playbooks: parsePlaybook), so the test can stop a case that hangs
// (worker.terminate() interrupts even a synchronous endless loop). Plain JavaScript + tsx,
// like bin/multitier.js: jest's transform does not reach worker threads.
require("tsx/cjs");
const { parentPort } = require("worker_threads");
const { checkEnvironment } = require("../../config/load.ts");
const { YamlSource } = require("../../config/yamlsource.ts");
const { InputError } = require("../../config/errors.ts");
const { InputErrors } = require("../../config/load.ts");
const { parsePlaybook } = require("../../runner/playbook.ts");

let synthEnv;
function synth(env) {
  // test/stacks/synth.ts: its own output directory per synth, removed after
  synthEnv ??= require("../stacks/synth.ts").synthEnv;
  return synthEnv(env).json;
}

function run(c) {
  // the test's own check that a case which never answers is stopped and reported
  if (c.what === "selftest-hang") for (;;);
  // load every module a case may need and synthesize once, so no case pays the cold start
  if (c.what === "warmup") {
    const file = require("path").join(__dirname, "..", "..", "hosts", "production.yaml");
    const { env } = checkEnvironment(new YamlSource("hosts/production.yaml", require("fs").readFileSync(file, "utf8")));
    if (env) synth(env);
    try {
      parsePlaybook(new YamlSource("playbooks/x.yml", "- hosts: all\n  tasks: []\n"), "x");
    } catch {
      /* a refusal is fine: only the loading matters */
    }
    return { outcome: "accepted" };
  }
  if (c.what === "environment") {
    const { env, errors } = checkEnvironment(new YamlSource(c.file, c.text));
    if (!env) return { outcome: "refused", errors: errors.map((e) => e.message) };
    if (env.platform === "lab") return { outcome: "accepted" }; // main.ts synthesizes no stack for the lab
    const json = synth(env);
    return { outcome: "accepted", synthesized: Object.keys(json.resource ?? {}).length };
  }
  try {
    parsePlaybook(new YamlSource(c.file, c.text), c.service);
    return { outcome: "accepted" };
  } catch (e) {
    if (e instanceof InputError || e instanceof InputErrors) return { outcome: "refused", errors: e.message.split("\n") };
    throw e;
  }
}

parentPort.on("message", (c) => {
  let answer;
  try {
    answer = run(c);
  } catch (e) {
    answer = { outcome: "crash", error: (e && e.stack) || String(e) };
  }
  parentPort.postMessage(answer);
});
