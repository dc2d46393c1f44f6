/**
 * The parts of a synthesized stack that are not resources but change what Terraform does:
 * the provider's configuration (region, default tags, …), the backend (where the state is)
 * and the required providers. A region or backend change gets a sentence saying what it
 * means, which raises the review's banner.
 */
import type { ConfigChange } from "./read";
import type { StackJson } from "./synth";

const text = (v: unknown) => (v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v));

/** region, default_tags … of the first configuration of each provider (aliases by their alias) */
function providers(s: StackJson | undefined): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, configs] of Object.entries((s as any)?.provider ?? {}))
    for (const c of ([] as any[]).concat(configs)) out[c.alias ? `${name}.${c.alias}` : name] = c;
  return out;
}

function backend(s: StackJson | undefined): { type: string; config: Record<string, unknown> } {
  const b = s?.terraform?.backend ?? {};
  const type = Object.keys(b)[0];
  return type ? { type, config: b[type] } : { type: "local", config: {} };
}

export const regionSentence = (stack: string, before: string, after: string) =>
  `Terraform will look for every resource of ${stack} in ${after}: those in ${before} are not found there, so it plans to create them all again in ${after} and leaves the ones in ${before} running, no longer managed (their data stays there). Moving an environment between regions is a new environment plus a data migration.`;

export const backendSentence = (stack: string, before: string, after: string) =>
  `The state of ${stack} moves from ${before} to ${after}: run \`terraform init -migrate-state\` to copy it before any plan or apply; a plan against the new, empty backend would create every resource again and the existing ones would no longer be managed.`;

function describeBackend(b: { type: string; config: Record<string, unknown> }): string {
  const c = b.config;
  if (b.type === "s3") return `s3 (bucket ${text(c.bucket)}, key ${text(c.key)}, region ${text(c.region)})`;
  if (b.type === "local") return `local (${text(c.path ?? "terraform.tfstate")})`;
  return `${b.type} ${JSON.stringify(c)}`;
}

/** Changes of provider configuration, backend and required providers between two stacks. */
export function configChanges(stack: string, base: StackJson | undefined, head: StackJson | undefined): ConfigChange[] {
  if (!base || !head) return []; // a new or removed stack: every resource shows as created/destroyed
  const out: ConfigChange[] = [];
  const pb = providers(base);
  const ph = providers(head);
  for (const name of [...new Set([...Object.keys(pb), ...Object.keys(ph)])].sort()) {
    const b = pb[name] ?? {};
    const h = ph[name] ?? {};
    for (const key of [...new Set([...Object.keys(b), ...Object.keys(h)])].sort()) {
      if (JSON.stringify(b[key]) === JSON.stringify(h[key])) continue;
      const change: ConfigChange = { stack, subject: `provider ${name} ${key}`, before: text(b[key]), after: text(h[key]) };
      if (key === "region") change.danger = regionSentence(stack, text(b[key]), text(h[key]));
      out.push(change);
    }
  }
  const bb = backend(base);
  const bh = backend(head);
  if (JSON.stringify(bb) !== JSON.stringify(bh)) {
    const before = describeBackend(bb);
    const after = describeBackend(bh);
    out.push({ stack, subject: "backend", before, after, danger: backendSentence(stack, before, after) });
  }
  const rb = base.terraform?.required_providers ?? {};
  const rh = head.terraform?.required_providers ?? {};
  for (const name of [...new Set([...Object.keys(rb), ...Object.keys(rh)])].sort())
    if (JSON.stringify(rb[name]) !== JSON.stringify(rh[name]))
      out.push({ stack, subject: `required provider ${name}`, before: text(rb[name]?.version ?? rb[name]), after: text(rh[name]?.version ?? rh[name]) });
  return out;
}

/** The provider's default tags of a stack (they end up in every resource's tags_all). */
export function defaultTagsOf(s: StackJson | undefined): Record<string, string> {
  const aws = providers(s).aws as any;
  return Object.assign({}, ...([] as any[]).concat(aws?.default_tags ?? []).map((d: any) => d?.tags ?? {}));
}
