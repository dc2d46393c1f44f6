/**
 * CIDR arithmetic for validation, on top of ipaddr.js (parsing, prefix matching).
 * We only need: parse, "is A inside B", "do A and B overlap", "is this IP in that subnet".
 */
import * as ipaddr from "ipaddr.js";

export interface Cidr {
  text: string;
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  prefix: number;
  kind: "ipv4" | "ipv6";
}

/** Parse "a.b.c.d/n" or "x::/n"; returns undefined when it is not a CIDR, or has host bits set. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string" || !text.includes("/")) return undefined;
  try {
    const [addr, prefix] = ipaddr.parseCIDR(text);
    const network = networkAddress(addr, prefix);
    if (network.toNormalizedString() !== addr.toNormalizedString()) return undefined;
    return { text, addr, prefix, kind: addr.kind() as "ipv4" | "ipv6" };
  } catch {
    return undefined;
  }
}

export function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.isValid(text) && !text.includes("/") ? ipaddr.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function networkAddress(addr: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): ipaddr.IPv4 | ipaddr.IPv6 {
  if (addr.kind() === "ipv4") return ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
  return ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
}

/** True when every address of `inner` is inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.kind !== inner.kind) return false;
  return inner.prefix >= outer.prefix && inner.addr.match(outer.addr, outer.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

export function ipInCidr(ip: ipaddr.IPv4 | ipaddr.IPv6, cidr: Cidr): boolean {
  return ip.kind() === cidr.kind && ip.match(cidr.addr, cidr.prefix);
}

/**
 * AWS reserves the first four addresses and the last one of every subnet; a fixed IP there
 * would fail at apply time, so validation refuses it up front.
 */
export function isAwsReserved(ip: ipaddr.IPv4 | ipaddr.IPv6, cidr: Cidr): boolean {
  if (ip.kind() !== "ipv4" || cidr.kind !== "ipv4") return false;
  const toInt = (a: ipaddr.IPv4) => a.octets.reduce((n, o) => n * 256 + o, 0);
  const base = toInt(cidr.addr as ipaddr.IPv4);
  const size = 2 ** (32 - cidr.prefix);
  const offset = toInt(ip as ipaddr.IPv4) - base;
  return offset < 4 || offset === size - 1;
}
