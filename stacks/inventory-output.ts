/**
 * The `inventory` output: everything the runner needs to reach hosts and find their disks
 * (see runner/inventory.ts). `make inventory ENV=…` saves it to hosts/<env>.outputs.json.
 * With a load balancer it also names it (DNS name for the service's CNAME) and its target
 * group (ARN, tier, port), so a rolling deploy can take a host out and put it back; the key
 * is only there when there is one, so older readers see the shape they know.
 */
import { Construct, Fn, TerraformOutput, type Instance, type Lb, type LbTargetGroup } from "./cdk";
import { D } from "../config/defaults";
import type { HostSpec } from "../config/environment";
import type { VolumeSpec } from "../config/schema";
import type { DataVolume } from "./data-volume";

/** One tier host as the runner sees it. */
export interface InventoryHost {
  readonly spec: Pick<HostSpec, "name" | "tier"> & { readonly volumes: readonly Pick<VolumeSpec, "name" | "device" | "mountPoint" | "filesystem" | "encryption">[] };
  readonly instance: Instance;
  /** the host's volumes by declared name */
  readonly volumes: Readonly<Record<string, DataVolume>>;
  /** SSH login user (the tier's `user` or the environment's `sshUser`) */
  readonly user: string;
}

/** The load balancer as the runner sees it. */
export interface InventoryLoadBalancer {
  /** the tier whose hosts are its targets */
  readonly tier: string;
  readonly lb: Lb;
  readonly targetGroup: LbTargetGroup;
  /** the port each host is registered on */
  readonly targetPort: number;
}

export interface InventoryOutputProps {
  readonly bastion: Instance;
  /** SSH login user on the bastion (`bastion.user` or the environment's `sshUser`) */
  readonly bastionUser: string;
  readonly hosts: readonly InventoryHost[];
  /**
   * each host's first IPv6 address in the output
   * @default D.ipv6 (config/defaults.ts)
   */
  readonly ipv6?: boolean;
  /** @default - no load balancer: the output has no loadBalancer key */
  readonly loadBalancer?: InventoryLoadBalancer;
}

export class InventoryOutput extends Construct {
  constructor(scope: Construct, id: string, props: InventoryOutputProps) {
    super(scope, id);
    const withIpv6 = props.ipv6 ?? D.ipv6;
    const lb = props.loadBalancer;
    const ipv6 = (i: Instance) => (withIpv6 ? { ipv6: Fn.element(i.ipv6Addresses, 0) } : {});
    const hosts: Record<string, unknown> = {};
    for (const h of props.hosts) {
      hosts[h.spec.name] = {
        tier: h.spec.tier,
        privateIp: h.instance.privateIp,
        ...ipv6(h.instance),
        user: h.user,
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
        bastion: { publicIp: props.bastion.publicIp, privateIp: props.bastion.privateIp, user: props.bastionUser },
        hosts,
        ...(lb ? { loadBalancer: { dnsName: lb.lb.dnsName, zoneId: lb.lb.zoneId, arn: lb.lb.arn, tier: lb.tier, targetGroupArn: lb.targetGroup.arn, targetPort: lb.targetPort } } : {}),
      },
    });
    new TerraformOutput(scope, "bastion_public_ip", { value: props.bastion.publicIp, description: "SSH here first (ssh -J)" });
    if (lb) new TerraformOutput(scope, "load_balancer_dns_name", { value: lb.lb.dnsName, description: "point the service's DNS name here (CNAME, or an alias record with the zone id in inventory)" });
  }
}
