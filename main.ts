/**
 * The CDKTF app: one stack per environment file in hosts/ (lab environments excluded: the
 * lab is local). Invalid files print one line per problem and exit 1 (bad input: README.md "Exit codes").
 * Kept light on purpose (deep provider imports only): it starts in well under a second.
 */
import { App } from "./stacks/cdk";
import { environmentNameFromFile } from "./config/environment";
import { checkEnvironment, listEnvironmentFiles } from "./config/load";
import { YamlSource } from "./config/yamlsource";
import { EnvironmentStack } from "./stacks/environment-stack";

const app = new App();
let bad = 0;
for (const file of listEnvironmentFiles()) {
  const { env, errors } = checkEnvironment(YamlSource.read(file));
  if (!env) {
    for (const e of errors) process.stderr.write(`${e.message}\n`);
    bad++;
    continue;
  }
  if (env.platform === "lab") continue;
  new EnvironmentStack(app, environmentNameFromFile(file), { env });
}
if (bad) process.exit(1);
app.synth();
