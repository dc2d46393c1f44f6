/**
 * The order of `deploy all` (playbooks/order.yml): steps one after the other, the services of a
 * step at the same time. As Ansible's site playbook says which plays run in which order, this
 * file says which services wait for which: the tiers that read the database wait for it, and
 * need not wait for each other. On fresh hosts each service spends minutes installing packages
 * on its own hosts: one service after the other, every other host waits doing nothing.
 *
 *   - database                      # a step of one service
 *   - [webapp, analysis, notebook]  # a step of three, deployed at once
 *   - monitoring
 *
 * Without the file, each service is its own step in the tiers' order (as before). A service of
 * the run that the file does not name runs after the named ones, one at a time. Services of one
 * step that share a host run one after the other on it (lanes), never at once.
 */
import * as fs from "fs";
import * as path from "path";
import { YamlSource } from "../config/yamlsource";
import { didYouMean } from "../config/validate";
import type { InputError } from "../config/errors";

export const ORDER_FILE = "order.yml";

/** Steps of service names as the file lists them; problems at their file:line:col. */
export function parseOrder(src: YamlSource, known: string[]): { steps: string[][]; errors: InputError[] } {
  const syntax = src.syntaxError();
  if (syntax) return { steps: [], errors: [syntax] };
  const raw = src.value();
  if (!Array.isArray(raw)) return { steps: [], errors: [src.error([], "expected a list of steps (a service, or a list of services deployed at once)")] };
  const errors: InputError[] = [];
  const seen = new Set<string>();
  const steps: string[][] = [];
  raw.forEach((step, i) => {
    const names = Array.isArray(step) ? step.map((s, j) => [s, [i, j]] as const) : [[step, [i]] as const];
    if (names.length === 0) errors.push(src.error([i], "expected a service, or a list of services (this list is empty)"));
    const out: string[] = [];
    for (const [name, at] of names) {
      if (typeof name !== "string") errors.push(src.error(at, "expected a service name (a playbook in this folder)"));
      else if (!known.includes(name)) errors.push(src.error(at, `no service "${name}" (no playbook ${name}.yml); known: ${known.join(", ") || "none"}${didYouMean(name, known)}`));
      else if (seen.has(name)) errors.push(src.error(at, `"${name}" is listed twice (each service belongs to one step)`));
      else {
        seen.add(name);
        out.push(name);
      }
    }
    if (out.length) steps.push(out);
  });
  return { steps, errors };
}

/** playbooks/order.yml of `dir` with its problems (`make validate` says them all), or undefined when there is none. */
export function readOrder(dir: string, known: string[]): { steps: string[][]; errors: InputError[] } | undefined {
  const file = path.join(dir, ORDER_FILE);
  return fs.existsSync(file) ? parseOrder(YamlSource.read(file), known) : undefined;
}

/** The steps of playbooks/order.yml, or undefined when there is none; bad content throws its first problem. */
export function loadOrder(dir: string, known: string[]): string[][] | undefined {
  const order = readOrder(dir, known);
  if (order?.errors.length) throw order.errors[0];
  return order?.steps;
}

/**
 * The run's services (already in the tiers' order) as steps of lanes: each lane a list of
 * services run one after the other, the lanes of a step at once, the steps one after the other.
 * Services of a step that share a host end up in the same lane, in the step's order.
 */
export function stepsOf(services: string[], order: string[][] | undefined, hostsOf: (service: string) => string[]): string[][][] {
  const listed = order ?? [];
  const steps = listed.map((step) => step.filter((s) => services.includes(s))).filter((s) => s.length);
  const named = new Set(listed.flat());
  for (const s of services) if (!named.has(s)) steps.push([s]);
  return steps.map((step) => lanes(step, hostsOf));
}

/** Group a step's services so that services sharing a host (directly or through others) share a lane. */
function lanes(step: string[], hostsOf: (service: string) => string[]): string[][] {
  const out: { services: string[]; hosts: Set<string> }[] = [];
  for (const s of step) {
    const hosts = hostsOf(s);
    const touching = out.filter((l) => hosts.some((h) => l.hosts.has(h)));
    const merged = { services: [...touching.flatMap((l) => l.services), s], hosts: new Set([...touching.flatMap((l) => [...l.hosts]), ...hosts]) };
    const first = touching.length ? out.indexOf(touching[0]) : out.length;
    for (const l of touching) out.splice(out.indexOf(l), 1);
    out.splice(Math.min(first, out.length), 0, merged);
  }
  // within a lane, the step's order
  return out.map((l) => step.filter((s) => l.services.includes(s)));
}
