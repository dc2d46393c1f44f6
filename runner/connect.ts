/**
 * How the runner reaches hosts. `defaultDeps()` is what the CLI uses: SSH through the
 * bastion (runner/ssh) and the environment's vault (runner/secrets). `LocalConnector`
 * runs the agent as a local process — the unit tests of the executor use it.
 */
import type { Environment } from "../config/environment";
import { AgentChannel, localChannel } from "./agent/client";
import type { Connector, SecretFilter } from "./executor";
import type { Inventory, InventoryHost } from "./inventory";
import type { RunDeps, RunRequest } from "./run";

export class LocalConnector implements Connector {
  async open(_host: InventoryHost, command: string): Promise<AgentChannel> {
    return localChannel(command.startsWith("sudo ") && process.getuid?.() !== 0);
  }
  close(): void {}
}

/** A filter for runs without a vault: nothing is secret. */
export const NO_SECRETS: SecretFilter = { mask: (t) => t, isSecret: () => false };

export function defaultDeps(): RunDeps {
  return {
    connector: (inv: Inventory, req: RunRequest, secrets: SecretFilter) => sshConnector(inv, req, secrets),
    secrets: (env: Environment) => loadSecrets(env),
  };
}

async function sshConnector(_inv: Inventory, _req: RunRequest, _secrets: SecretFilter): Promise<Connector> {
  throw new Error("the SSH connector is not wired yet");
}

function loadSecrets(_env: Environment): { vault: Record<string, unknown>; filter: SecretFilter } {
  return { vault: {}, filter: NO_SECRETS };
}
