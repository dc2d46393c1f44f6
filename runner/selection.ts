/**
 * Which tasks a play runs on a host, decided locally before anything is sent: the hosts a
 * play's `hosts:` names, the tasks `--tags`/`--skip-tags` select, `loop:` expanded into one
 * task per item, task names rendered.
 */
import picomatch from "picomatch";
import type { Inventory, InventoryHost } from "./inventory";
import { jexl, type Play, type Task } from "./playbook";
import { render } from "./template";

/** --tags / --skip-tags: `never` runs only when asked by tag; `all` asks for everything else. */
export function tagged(opts: { tags: string[]; skipTags: string[] }, play: Play, task: Task): boolean {
  const tags = [...play.tags, ...task.tags];
  if (opts.skipTags.some((t) => tags.includes(t))) return false;
  if (opts.tags.length === 0) return !tags.includes("never");
  return opts.tags.some((t) => tags.includes(t) || t === "all");
}

/** A task with `loop:` becomes one task per item (its `item` variable set). */
export function expandLoops(tasks: Task[], varsOf: (task: Task) => Record<string, unknown>): Task[] {
  return tasks.flatMap((task) => {
    if (!task.loop) return [task];
    const items = jexl.evalSync(task.loop, varsOf(task));
    if (!Array.isArray(items)) throw new Error(`${task.where.file}:${task.where.line}:${task.where.col} ${task.where.field}.loop: expected a list, got ${typeof items}`);
    return items.map((item) => ({ ...task, loop: undefined, name: `${task.name} (${typeof item === "object" ? JSON.stringify(item) : String(item)})`, vars: { ...task.vars, item } }));
  });
}

/** Task names may use variables; a name that does not render is shown as written. */
export function renderName(name: string, vars: Record<string, unknown>): string {
  try {
    return render({ inline: name }, vars);
  } catch {
    return name;
  }
}

export function hostsOfPlay(_inv: Inventory, play: Play, limited: InventoryHost[]): InventoryHost[] {
  return limited.filter((h) => playMatches(play.hosts, h));
}

/** A play's `hosts:` — comma-separated tiers, host names, globs or `all` — matches this host. */
export function playMatches(pattern: string, h: InventoryHost): boolean {
  const items = pattern.split(",").map((x) => x.trim());
  // the bastion answers to its own name only: `all` and globs mean the tier hosts
  if (h.tier === "bastion") return items.includes("bastion");
  return items.some((p) => p === "all" || p === h.tier || p === h.name || picomatch(p)(h.name));
}

