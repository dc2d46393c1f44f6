/**
 * A module's arguments as its own zod schema declares them: name, type, required or default.
 * `multitier modules` prints this reference, and the playbook loader's "expected one of …"
 * hints use the names, so the reference cannot drift from what the runner accepts.
 */
import { z } from "zod";
import type { Module } from "./types";

export interface ArgumentDoc {
  name: string;
  /** "string", "boolean", "list of string", "present | absent" … */
  type: string;
  required: boolean;
  default?: unknown;
}

/** The object schema under refinements and transforms (undefined for a schema that is not one). */
function objectOf(schema: z.ZodTypeAny): z.ZodObject<z.ZodRawShape> | undefined {
  let s: any = schema;
  while (s && !(s instanceof z.ZodObject)) s = s._def?.schema ?? s._def?.innerType;
  return s;
}

function typeName(t: z.ZodTypeAny): string {
  const d: any = t._def;
  if (t instanceof z.ZodOptional || t instanceof z.ZodDefault || t instanceof z.ZodNullable) return typeName(d.innerType);
  if (t instanceof z.ZodEffects) return typeName(d.schema);
  if (t instanceof z.ZodEnum) return (d.values as string[]).join(" | ");
  if (t instanceof z.ZodLiteral) return JSON.stringify(d.value);
  if (t instanceof z.ZodArray) return `list of ${typeName(d.type)}`;
  if (t instanceof z.ZodUnion) return [...new Set((d.options as z.ZodTypeAny[]).map(typeName))].join(" | ");
  if (t instanceof z.ZodObject) return "mapping";
  if (t instanceof z.ZodRecord) return "mapping";
  if (t instanceof z.ZodString) return "string";
  if (t instanceof z.ZodNumber) return "number";
  if (t instanceof z.ZodBoolean) return "boolean";
  return "value";
}

export function moduleArguments(schema: z.ZodTypeAny): ArgumentDoc[] {
  const o = objectOf(schema);
  if (!o) return [];
  return Object.entries(o.shape as Record<string, z.ZodTypeAny>).map(([name, t]) => {
    let inner: z.ZodTypeAny = t;
    while (inner instanceof z.ZodEffects) inner = inner._def.schema; // a refined default is still a default
    const def = inner instanceof z.ZodDefault ? (inner._def.defaultValue as () => unknown)() : undefined;
    return { name, type: typeName(t), required: !t.isOptional(), ...(def !== undefined ? { default: def } : {}) };
  });
}

export const argumentNames = (schema: z.ZodTypeAny): string[] => moduleArguments(schema).map((a) => a.name);

/** The reference text of one module: its one-line doc, then one line per argument. */
export function moduleReference(m: Module): string {
  const lines = [`${m.name} — ${m.doc}`];
  for (const a of moduleArguments(m.args))
    lines.push(`  ${a.name.padEnd(16)} ${a.type}${a.required ? " (required)" : a.default !== undefined ? ` (default ${JSON.stringify(a.default)})` : ""}`);
  return lines.join("\n");
}
