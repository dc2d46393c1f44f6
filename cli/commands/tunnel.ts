/**
 * `multitier tunnel <host|tier> --env E [--remote-port 8888] [--local-port N]`
 * (make tunnel-notebook): an SSH tunnel through the bastion from 127.0.0.1:<local> on this
 * machine to 127.0.0.1:<remote> on the host — how Jupyter, which listens on loopback only,
 * is reached. Host keys verified as for every run; Ctrl-C closes it.
 */
import * as net from "net";
import { loadEnvironment } from "../../config/load";
import { identityFor } from "../../runner/connect";
import { loadInventory, selectHosts } from "../../runner/inventory";
import { SshSession } from "../../runner/ssh";
import { reportError } from "../report-error";
import type { Register } from "./index";

export const registerTunnel: Register = (program, setExit) => {
  program
    .command("tunnel <host>")
    .description("SSH tunnel through the bastion to a port on a host's loopback (Jupyter: make tunnel-notebook)")
    .requiredOption("--env <env>", "environment", process.env.ENV ?? "production")
    .option("--remote-port <port>", "port on the host's 127.0.0.1", "8888")
    .option("--local-port <port>", "port on this machine's 127.0.0.1 (default: the remote port)")
    .option("-i, --identity <file>", "private key file")
    .action(async (hostArg: string, o: { env: string; remotePort: string; localPort?: string; identity?: string }) => {
      try {
        const env = loadEnvironment(o.env);
        const inv = loadInventory(env);
        const [host] = selectHosts(inv, hostArg, "host");
        const remote = Number(o.remotePort);
        const local = Number(o.localPort ?? o.remotePort);
        const session = await SshSession.open({
          bastion: { name: "bastion", address: inv.bastion.address, port: inv.bastion.port, user: inv.bastion.user },
          identityFile: identityFor(inv, { identity: o.identity }),
          knownHostsFile: inv.knownHostsFile,
          acceptNewHostKeys: false,
        });
        const target = await session.target({ name: host.name, address: host.address, port: host.port, user: host.user });
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
        setExit(0);
      } catch (e) {
        setExit(reportError(e));
      }
    });
};
