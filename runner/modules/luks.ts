/**
 * luks — a declared volume encrypted with LUKS, opened as /dev/mapper/<volume>_crypt.
 *
 * Arguments: volume (a name from host.volumes), passphrase (from the vault; it travels only
 * on stdin: `--key-file -`), type (luks2), pbkdf (argon2id), pbkdfMemoryKiB / iterTimeMs
 * (luksFormat cost; defaults are cryptsetup's), crypttab (default /etc/crypttab), open
 * (default true).
 *
 *   - name: encrypt the data volume
 *     luks: { volume: data, passphrase: "{{vault.luks.database}}" }
 *
 * Formats ONLY a disk with no signature at all. A disk holding anything else, or a LUKS
 * header the passphrase does not open, stops the host with what was found. /etc/crypttab
 * gets `<name> UUID=<uuid> none luks,noauto` (no key file: unlocking is manual). On a kernel
 * without device-mapper the volume cannot be opened: the task says so and fails.
 */
import { z } from "zod";
import { asSh, asStat } from "./results";
import { b64, shq, type Module, type Plan, type TaskContext } from "./types";
import { describeSignature, keyValues, resolution, resolveScript } from "../storage/resolve";
import { oldText } from "./files";

const args = z
  .object({
    volume: z.string().min(1),
    passphrase: z.string().min(8, "expected a passphrase of at least 8 characters"),
    type: z.enum(["luks2", "luks1"]).default("luks2"),
    pbkdf: z.enum(["argon2id", "argon2i", "pbkdf2"]).default("argon2id"),
    pbkdfMemoryKiB: z.number().int().positive().optional(),
    iterTimeMs: z.number().int().positive().optional(),
    crypttab: z.string().startsWith("/").default("/etc/crypttab"),
    open: z.boolean().default(true),
    /** false for unlock: a disk that is not LUKS yet is an error, never formatted */
    format: z.boolean().default(true),
  })
  .strict();
type Args = z.output<typeof args>;

export const mapperName = (volume: string) => `${volume}_crypt`;

export function volumeOf(ctx: TaskContext, name: string) {
  const v = ctx.host.volumes[name];
  if (!v) throw new Error(`no volume "${name}" on ${ctx.host.name} (volumes: ${Object.keys(ctx.host.volumes).join(", ") || "none"})`);
  return v;
}

export const NO_DM = "this kernel has no device-mapper (not in /proc/misc, or /dev/mapper/control is missing), so LUKS volumes cannot be opened here";

export const luks: Module<Args> = {
  name: "luks",
  doc: "encrypt a declared volume with LUKS (only an empty disk), crypttab entry, open it",
  args,
  probe(a, ctx) {
    const v = volumeOf(ctx, a.volume);
    const name = shq(mapperName(a.volume));
    const target = resolveScript({ [a.volume]: v }).replace(/echo "R [^"]*"$/, 'echo "dev=$d"');
    return [
      { op: "sh", script: resolveScript(ctx.host.volumes) },
      {
        op: "sh",
        script: `${target}
if [ -n "$d" ]; then echo "blkid=$(blkid -p -o export "$d" 2>/dev/null | tr '\\n' ' ')"; cryptsetup isLuks "$d" 2>/dev/null && echo luks=yes || echo luks=no; echo "uuid=$(cryptsetup luksUUID "$d" 2>/dev/null)"; fi
[ -b /dev/mapper/${mapperName(a.volume)} ] && echo open=yes || echo open=no
grep -qw device-mapper /proc/misc 2>/dev/null && [ -e /dev/mapper/control ] && echo dm=yes || echo dm=no
true # ${name}`,
      },
      // does the passphrase open the header? (rc 0 yes, 2 no, 3 not LUKS) — passphrase on stdin
      { op: "sh", script: `${target}\n[ -n "$d" ] && cryptsetup isLuks "$d" 2>/dev/null || exit 3\ncryptsetup open --test-passphrase --key-file - "$d"`, stdin: b64(a.passphrase) },
      { op: "stat", path: a.crypttab, content: true },
    ];
  },
  plan(a, [all, mine, keyTest, tab], ctx): Plan {
    const v = volumeOf(ctx, a.volume);
    const res = resolution(asSh(all, "resolve disks"), a.volume, v);
    if (res.problem) return { status: "failed", msg: res.problem };
    const dev = res.device!;
    const kv = keyValues(asSh(mine, "probe disk").stdout);
    const name = mapperName(a.volume);
    const isLuks = kv.luks === "yes";
    const blkid = (kv.blkid ?? "").trim();
    const crypttab = oldText(asStat(tab, `stat ${a.crypttab}`));
    const tabLine = (uuid: string) => `${name} UUID=${uuid} none luks,noauto`;
    const fixTab = `u=$(cryptsetup luksUUID ${shq(dev)}) && t=${shq(a.crypttab)} && { grep -v '^${name} ' "$t" 2>/dev/null; echo "${name} UUID=$u none luks,noauto"; } > "$t.multitier.$$" && chmod 0600 "$t.multitier.$$" && mv "$t.multitier.$$" "$t"`;
    const openOp = { op: "sh" as const, script: `cryptsetup open --type luks --key-file - ${shq(dev)} ${shq(name)}`, stdin: b64(a.passphrase) };
    if (!isLuks) {
      if (!a.format) return { status: "failed", msg: `${dev} (volume ${a.volume}) is not a LUKS volume; deploy the service first — nothing was changed` };
      if (blkid) return { status: "failed", msg: `refusing to format ${dev} (volume ${a.volume}): it already holds ${describeSignature(blkid)}. Nothing was changed. If that data is not needed, inspect it and wipe it by hand (wipefs -a ${dev}), then rerun.` };
      const cost = [a.pbkdfMemoryKiB ? `--pbkdf-memory ${a.pbkdfMemoryKiB}` : "", a.iterTimeMs ? `--iter-time ${a.iterTimeMs}` : ""].filter(Boolean).join(" ");
      const apply = [
        { op: "sh" as const, script: `cryptsetup luksFormat --batch-mode --type ${a.type} --pbkdf ${a.pbkdf} ${cost} --key-file - ${shq(dev)}`, stdin: b64(a.passphrase) },
        { op: "sh" as const, script: fixTab },
      ];
      const canOpen = kv.dm === "yes" && a.open;
      return {
        status: "changed",
        msg: `format ${dev} as ${a.type.toUpperCase()} (volume ${a.volume})${canOpen ? ` and open it as /dev/mapper/${name}` : ""}`,
        apply: canOpen ? [...apply, openOp] : apply,
        verify: (r) => {
          const bad = r.find((x) => !x.ok || (x as any).rc !== 0) as any;
          if (bad) return `LUKS setup of ${dev} failed: ${(bad.error ?? bad.stderr ?? "").trim().split("\n").pop()}`;
          if (a.open && kv.dm !== "yes") return `formatted ${dev} as ${a.type.toUpperCase()}, but cannot open it: ${NO_DM}`;
          return undefined;
        },
      };
    }
    const rc = asSh(keyTest, "test passphrase").rc;
    if (rc !== 0) return { status: "failed", msg: `the LUKS header on ${dev} (volume ${a.volume}) does not open with the given passphrase (cryptsetup rc ${rc}); check the vault — nothing was changed` };
    const apply = [];
    const why: string[] = [];
    if (!crypttab.split("\n").includes(tabLine(kv.uuid))) apply.push({ op: "sh" as const, script: fixTab }), why.push(`crypttab entry for ${name}`);
    if (a.open && kv.open !== "yes") {
      if (kv.dm !== "yes") return { status: "failed", msg: `cannot open ${dev} (volume ${a.volume}): ${NO_DM}` };
      apply.push(openOp), why.push(`open as /dev/mapper/${name}`);
    }
    if (apply.length === 0) return { status: "ok", msg: `nothing to do (LUKS${kv.open === "yes" ? ", open" : ""})` };
    return { status: "changed", msg: why.join(", "), apply };
  },
};
