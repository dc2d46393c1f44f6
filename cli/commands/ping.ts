/**
 * `multitier ping` — connect to every host through the bastion, start the agent, print the
 * round-trip time. `multitier facts` — print what the agent gathered (JSON per host).
 * Both change nothing and read no vault (no password asked); exit 4 when a host is unreachable.
 */
import { EXIT } from "../exit";
import { action, type Register } from "../command";
import { summary } from "./index";
import { connectionFlags, envFlag, toRequest, type RunnerFlags } from "../runner-flags";

export const registerPing: Register = (program, setExit) => {
  for (const command of ["ping", "facts"] as const) {
    const cmd = program.command(command).description(summary(command));
    connectionFlags(envFlag(cmd)).action(
      action(setExit, async (flags: RunnerFlags) => {
        const req = toRequest("deploy", [], flags);
        // loaded when the command runs, not for --help (cli/commands/index.ts)
        const pLimit = require("p-limit") as typeof import("p-limit"); // CommonJS: the function itself
        const { loadEnvironment } = require("../../config/load") as typeof import("../../config/load");
        const { AgentClient, agentCommand, NO_SECRETS } = require("../../runner/agent/client") as typeof import("../../runner/agent/client");
        const { defaultDeps } = require("../../runner/connect") as typeof import("../../runner/connect");
        const { loadInventory, selectHosts } = require("../../runner/inventory") as typeof import("../../runner/inventory");
        const { oneLine } = require("../../runner/task") as typeof import("../../runner/task");
        const env = loadEnvironment(req.env);
        const inv = loadInventory(env);
        const hosts = req.limit ? selectHosts(inv, req.limit) : inv.hosts;
        const connector = await defaultDeps().connector(inv, req, NO_SECRETS);
        const limit = pLimit(req.forks);
        let unreachable = 0;
        const facts: Record<string, unknown> = {};
        await Promise.all(
          hosts.map((h) =>
            limit(async () => {
              const t0 = Date.now();
              try {
                const agent = await AgentClient.start(h.name, await connector.open(h, agentCommand(false)), NO_SECRETS);
                const ms = Date.now() - t0;
                facts[h.name] = agent.facts;
                if (command === "ping") {
                  const line = { host: h.name, status: "ok", address: h.address, hostname: agent.facts.hostname, seconds: ms / 1000 };
                  process.stdout.write(req.json ? JSON.stringify(line) + "\n" : `${h.name.padEnd(14)} ok  ${agent.facts.hostname} (${ms} ms)\n`);
                }
                await agent.close();
              } catch (e) {
                unreachable++;
                const line = { host: h.name, status: "unreachable", msg: oneLine(e) };
                process.stdout.write(req.json ? JSON.stringify(line) + "\n" : `${h.name.padEnd(14)} UNREACHABLE  ${line.msg}\n`);
              }
            }),
          ),
        );
        await connector.close();
        if (command === "facts") process.stdout.write(JSON.stringify(facts, null, req.json ? 0 : 2) + "\n");
        return unreachable ? EXIT.unreachable : EXIT.ok;
      }),
    );
  }
};
