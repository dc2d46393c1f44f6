/**
 * `multitier ping` — connect to every host through the bastion, start the agent, print the
 * round-trip time. `multitier facts` — print what the agent gathered (JSON per host).
 * Both change nothing; exit 4 when a host is unreachable.
 */
import pLimit from "p-limit";
import { loadEnvironment } from "../../config/load";
import { AgentClient, agentCommand, NO_SECRET_TEST } from "../../runner/agent/client";
import { defaultDeps } from "../../runner/connect";
import { loadInventory, selectHosts } from "../../runner/inventory";
import { oneLine } from "../../runner/executor";
import { EXIT } from "../exit";
import { reportError } from "../report-error";
import { runnerOptions, toRequest } from "./deploy";
import type { Register } from "./index";

export const registerPing: Register = (program, setExit) => {
  for (const command of ["ping", "facts"] as const) {
    runnerOptions(program.command(command).description(command === "ping" ? "reach every host through the bastion (no change)" : "print each host's facts as JSON (no change)")).action(
      async (flags) => {
        try {
          const req = toRequest("deploy", [], flags);
          const env = loadEnvironment(req.env);
          const inv = loadInventory(env);
          const hosts = req.limit ? selectHosts(inv, req.limit) : inv.hosts;
          const deps = defaultDeps();
          const { filter } = deps.secrets(env);
          const connector = await deps.connector(inv, req, filter);
          const limit = pLimit(req.forks);
          let unreachable = 0;
          const facts: Record<string, unknown> = {};
          await Promise.all(
            hosts.map((h) =>
              limit(async () => {
                const t0 = Date.now();
                try {
                  const agent = await AgentClient.start(h.name, await connector.open(h, agentCommand(false)), NO_SECRET_TEST);
                  const ms = Date.now() - t0;
                  facts[h.name] = agent.facts;
                  if (command === "ping") {
                    const line = { host: h.name, status: "ok", address: h.address, hostname: agent.facts.hostname, seconds: ms / 1000 };
                    process.stdout.write(req.json ? JSON.stringify(line) + "\n" : `${h.name.padEnd(14)} ok  ${agent.facts.hostname} (${ms} ms)\n`);
                  }
                  agent.close();
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
          setExit(unreachable ? EXIT.unreachable : EXIT.ok);
        } catch (e) {
          setExit(reportError(e));
        }
      },
    );
  }
};
