/**
 * `multitier tunnel <host|tier> --env E [--remote-port 8888] [--local-port N]`
 * (make tunnel-notebook): an SSH tunnel through the bastion from 127.0.0.1:<local> on this
 * machine to 127.0.0.1:<remote> on the host — how Jupyter, which listens on loopback only,
 * is reached. Host keys verified as for every run; Ctrl-C closes it. Ports are checked
 * before connecting (exit 1); a bastion or host that does not answer is exit 4.
 */
import * as net from "net";
import { InputError } from "../../config/errors";
import type { SshSession } from "../../runner/ssh";
import { EXIT } from "../exit";
import { action, type Register } from "../command";
import { summary } from "./index";
import { envFlag } from "../runner-flags";

/** A TCP port from the command line: a whole number 1-65535. */
export function portArg(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InputError("argument", 0, 0, flag, `expected a port number from 1 to 65535, got "${value}"`);
  return n;
}

export const registerTunnel: Register = (program, setExit) => {
  envFlag(program.command("tunnel <host>").description(summary("tunnel")))
    .option("--remote-port <port>", "port on the host's 127.0.0.1", "8888")
    .option("--local-port <port>", "port on this machine's 127.0.0.1 (default: the remote port)")
    .option("-i, --identity <file>", "private key file")
    .action(
      action(setExit, async (hostArg: string, o: { env: string; remotePort: string; localPort?: string; identity?: string }) => {
        const remote = portArg("--remote-port", o.remotePort);
        const local = o.localPort === undefined ? remote : portArg("--local-port", o.localPort);
        // loaded when the command runs, not for --help (cli/commands/index.ts)
        const { loadEnvironment } = require("../../config/load") as typeof import("../../config/load");
        const { identityFor } = require("../../runner/connect") as typeof import("../../runner/connect");
        const { loadInventory, selectHosts } = require("../../runner/inventory") as typeof import("../../runner/inventory");
        const { SshSession } = require("../../runner/ssh") as typeof import("../../runner/ssh");
        const { oneLine } = require("../../runner/task") as typeof import("../../runner/task");
        const env = loadEnvironment(o.env);
        const inv = loadInventory(env);
        const [host] = selectHosts(inv, hostArg, "host");
        const identityFile = identityFor(inv, { identity: o.identity });
        let session: SshSession;
        let target: Awaited<ReturnType<SshSession["target"]>>;
        try {
          session = await SshSession.open({
            bastion: { name: "bastion", address: inv.bastion.address, port: inv.bastion.port, user: inv.bastion.user },
            identityFile,
            knownHostsFile: inv.knownHostsFile,
            acceptNewHostKeys: false,
          });
          target = await session.target({ name: host.name, address: host.address, port: host.port, user: host.user });
        } catch (e) {
          process.stderr.write(`tunnel: ${oneLine(e)}\n`);
          return EXIT.unreachable;
        }
        const server = net.createServer((sock) => {
          target
            .forward("127.0.0.1", remote)
            .then((ch) => {
              sock.pipe(ch).pipe(sock);
              ch.on("close", () => sock.destroy());
              sock.on("close", () => ch.close());
            })
            .catch((e) => {
              process.stderr.write(`${(e as Error).message}\n`);
              sock.destroy();
            });
        });
        await new Promise<void>((resolve, reject) => server.listen(local, "127.0.0.1", resolve).on("error", reject));
        process.stdout.write(`tunnel open: http://127.0.0.1:${local}/ -> ${host.name} 127.0.0.1:${remote} (through the bastion ${inv.bastion.address})\n`);
        if (host.tier === "notebook") process.stdout.write(`Jupyter's token is in the vault: multitier vault view --env ${env.name} (jupyter.token)\n`);
        process.stdout.write("Ctrl-C closes it\n");
        await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
        server.close();
        await session.close();
        return EXIT.ok;
      }),
    );
};
