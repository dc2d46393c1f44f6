/**
 * The `inventory` output: everything the runner needs to reach hosts and find their disks
 * (see runner/inventory.ts). `make inventory ENV=…` saves it to hosts/<env>.outputs.json.
 */
import { Construct, Fn, TerraformOutput, type Instance } from "./cdk";
import type { Environment, HostSpec } from "../config/environment";
import type { DataVolume } from "./data-volume";

export interface InventoryOutputProps {
  env: Environment;
  bastion: Instance;
  hosts: { spec: HostSpec; instance: Instance; volumes: Record<string, DataVolume> }[];
}

export class InventoryOutput extends Construct {
  constructor(scope: Construct, id: string, props: InventoryOutputProps) {
    super(scope, id);
    const { env } = props;
    const ipv6 = (i: Instance) => (env.network.ipv6 ? { ipv6: Fn.element(i.ipv6Addresses, 0) } : {});
    const hosts: Record<string, unknown> = {};
    for (const h of props.hosts) {
      const tier = env.tiers[h.spec.tier];
      hosts[h.spec.name] = {
        tier: h.spec.tier,
        privateIp: h.instance.privateIp,
        ...ipv6(h.instance),
        user: tier.user ?? env.sshUser,
        volumes: Object.fromEntries(
          h.spec.volumes.map((v) => [
            v.name,
            { volumeId: h.volumes[v.name].ebs.id, device: v.device, mountPoint: v.mountPoint, filesystem: v.filesystem, encryption: v.encryption },
          ]),
        ),
      };
    }
    new TerraformOutput(scope, "inventory", {
      description: "hosts, addresses and volume ids for the multitier runner",
      value: {
        bastion: { publicIp: props.bastion.publicIp, privateIp: props.bastion.privateIp, user: env.bastion.user ?? env.sshUser },
        hosts,
      },
    });
    new TerraformOutput(scope, "bastion_public_ip", { value: props.bastion.publicIp, description: "SSH here first (ssh -J)" });
  }
}
