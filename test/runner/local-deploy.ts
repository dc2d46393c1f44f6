/**
 * A deploy through the LocalConnector (the real agent as local processes) in a process of its
 * own, so that a test can kill it outright (test/runner/killed.test.ts). The environment comes
 * from MULTITIER_*_DIR as the parent set them; argv: <lock dir> <service>...
 */
import { LocalConnector, NO_SECRETS } from "../../runner/connect";
import { HumanReporter } from "../../runner/report";
import { run } from "../../runner/run";

const [lockDir, ...services] = process.argv.slice(2);
run(
  { env: "local", command: "deploy", services, check: false, diff: false, tags: [], skipTags: [], forks: 10, json: false, acceptNewHostKeys: false },
  { connector: async () => new LocalConnector({ lockDir }), secrets: () => ({ vault: {}, filter: NO_SECRETS }), reporter: new HumanReporter(process.stdout, false) },
).then(
  (r) => (process.exitCode = r.code),
  (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  },
);
