/**
 * luks — encrypt a declared volume with LUKS, record it in /etc/crypttab, open it as
 * /dev/mapper/<volume>_crypt.
 *
 * Arguments:
 *   volume          a name from host.volumes (its disk is found by EBS volume id: runner/storage/resolve.ts)
 *   passphrase      from the vault; it travels ONLY on stdin (`--key-file -`): never in argv, a file
 *                   or a remote process's environment
 *   type            luks2 (default) | luks1
 *   pbkdf           argon2id (default) | argon2i | pbkdf2
 *   pbkdfMemoryKiB, iterTimeMs, cipher, keySize, sectorSize
 *                   luksFormat cost and cipher (cryptsetup's defaults when left out)
 *   crypttab        default /etc/crypttab (tests point it into a temp dir)
 *   open            default true: open the volume (needs device-mapper)
 *   format          default true; `multitier unlock` sets false: a disk that is not LUKS is an error
 *
 *   - name: encrypt the data volume
 *     luks: { volume: data, passphrase: "{{lookup vault.luks tier.name}}" }
 *
 * What it does, by what it finds on the disk:
 *   - nothing at all (runner/storage/contents.ts: no blkid/wipefs signature, not LUKS, first
 *     MiB blank): luksFormat, checked again in the same shell a moment before it runs;
 *   - a LUKS header: the passphrase must open it (`cryptsetup open --test-passphrase`), else the
 *     host stops — it is never reformatted;
 *   - anything else: the host stops with exactly what blkid/wipefs found and what to do by hand.
 * crypttab gets `<volume>_crypt UUID=<luks uuid> none luks,noauto` (no key file on the host:
 * unlocking is manual). The UUID of a new header is chosen before formatting (`--uuid`), so
 * crypttab is written with the atomic write op. On a kernel without device-mapper the task
 * fails saying so; a volume is never reported open unless /dev/mapper/<name> exists.
 */
import * as crypto from "crypto";
import { z } from "zod";
import type { Op, OpResult } from "../agent/protocol";
import { facts } from "../facts";
import { oldText } from "./files";
import { b64, shq, type Module, type Plan, type TaskContext } from "./types";
import type { BlockDevice } from "../facts/block-device";
import { byHand, guardScript, notEmpty } from "../storage/contents";
import { crypttabLine, placeCrypttab } from "../storage/crypttab";
import { fileDiff, firstFailure, tail } from "../storage/outcome";
import { resolveOne } from "../storage/resolve";
import { disksProbe, mapperName, mapperPath, openVolume, volumeOf } from "../storage/volumes";

const args = z
  .object({
    volume: z.string().min(1),
    passphrase: z.string().min(8, "expected a passphrase of at least 8 characters"),
    type: z.enum(["luks2", "luks1"]).default("luks2"),
    pbkdf: z.enum(["argon2id", "argon2i", "pbkdf2"]).default("argon2id"),
    pbkdfMemoryKiB: z.number().int().positive().optional(),
    iterTimeMs: z.number().int().positive().optional(),
    cipher: z.string().regex(/^[a-z0-9-]+$/, "expected a cipher spec such as aes-xts-plain64").optional(),
    keySize: z.number().int().positive().multipleOf(8).optional(),
    sectorSize: z.union([z.literal(512), z.literal(4096)]).optional(),
    crypttab: z.string().startsWith("/").default("/etc/crypttab"),
    open: z.boolean().default(true),
    format: z.boolean().default(true),
  })
  .strict();
type Args = z.output<typeof args>;

function formatCommand(a: Args, dev: string, uuid: string): string {
  const opt = (flag: string, v: string | number | undefined) => (v === undefined ? [] : [flag, String(v)]);
  return [
    "cryptsetup luksFormat --batch-mode",
    `--type ${a.type} --pbkdf ${a.pbkdf}`,
    ...opt("--pbkdf-memory", a.pbkdfMemoryKiB),
    ...opt("--iter-time", a.iterTimeMs),
    ...opt("--cipher", a.cipher),
    ...opt("--key-size", a.keySize),
    ...opt("--sector-size", a.sectorSize),
    `--uuid ${uuid} --key-file - ${shq(dev)}`,
  ].join(" ");
}

export const luks: Module<Args> = {
  name: "luks",
  doc: "encrypt a declared volume with LUKS (only a disk holding nothing), crypttab entry (noauto, no key file), open it",
  args,
  probe(a, ctx) {
    const v = volumeOf(ctx.host, a.volume);
    return [
      disksProbe(ctx),
      facts.blockDevice.op({ locate: resolveOne(v), mapper: mapperName(a.volume) }),
      // does the passphrase open the header? 0 yes, 2 no, 3 not LUKS. The key is stdin only.
      { op: "sh", script: `${resolveOne(v)}\n[ -n "$d" ] && cryptsetup isLuks "$d" 2>/dev/null || exit 3\ncryptsetup open --test-passphrase --key-file - "$d"`, stdin: b64(a.passphrase), timeout: 120 },
      facts.file.op({ path: a.crypttab, content: true }),
    ];
  },
  plan(a, [disks, mine, keyTest, tab], ctx): Plan {
    const o = openVolume(ctx, a.volume, disks);
    if ("failed" in o) return o.failed;
    const dev = o.devices[a.volume];
    const c = facts.blockDevice.read(mine, "probe the disk");
    if (c.device !== dev) return { status: "failed", msg: `volume ${a.volume} resolved to ${dev} and then to ${c.device || "nothing"}: disks are changing, nothing was changed` };
    const name = mapperName(a.volume);
    const tabBefore = oldText(facts.file.read(tab, `read ${a.crypttab}`));
    const dm = c.noDeviceMapper;
    const cannotOpen = dm && `cannot open ${dev} (volume ${a.volume}): ${dm}`;

    if (!c.luks) return fresh(a, ctx, dev, c, tabBefore, cannotOpen);

    const test = keyTest as OpResult & { rc?: number };
    if (!test.ok || test.rc !== 0) {
      if (test.ok && test.rc === 2)
        return {
          status: "failed",
          msg: `the LUKS header on ${dev} (volume ${a.volume}) does not open with the passphrase given (cryptsetup: ${tail(test, 1)}). Nothing was changed, and this disk is never reformatted: check the passphrase in the vault (hosts/<env>.vault.yml); if it is lost, so is the data — restore the volume from a snapshot`,
        };
      return { status: "failed", msg: `could not test the passphrase on ${dev} (volume ${a.volume}): ${tail(test)}; nothing was changed` };
    }
    if (!c.uuid) return { status: "failed", msg: `${dev} (volume ${a.volume}) is LUKS but blkid shows no UUID (${c.blkid}); nothing was changed` };
    if (c.mapperOpen && c.mapperOf && c.mapperOf !== dev)
      return { status: "failed", msg: `${mapperPath(a.volume)} is already open on ${c.mapperOf}, not on ${dev} (volume ${a.volume}); close it by hand (cryptsetup close ${name}) — nothing was changed` };

    const tabAfter = placeCrypttab(tabBefore, name, crypttabLine(name, c.uuid));
    const wantOpen = a.open && !c.mapperOpen;
    const apply: Op[] = [];
    const labels: string[] = [];
    const why: string[] = [];
    if (tabAfter.changed) apply.push({ op: "write", path: a.crypttab, content: b64(tabAfter.text) }), labels.push(`write ${a.crypttab}`), why.push(`crypttab entry for ${name}`);
    if (wantOpen && !cannotOpen) apply.push(openOp(dev, name, a.passphrase)), labels.push(`cryptsetup open ${name}`), why.push(`open as ${mapperPath(a.volume)}`);
    const diff = tabAfter.changed ? fileDiff(a.crypttab, tabBefore, tabAfter.text) : undefined;
    if (wantOpen && cannotOpen && !apply.length) return { status: "failed", msg: cannotOpen };
    if (!apply.length) return { status: "ok", msg: `nothing to do (${dev} is LUKS, the passphrase opens it${c.mapperOpen ? `, open as ${mapperPath(a.volume)}` : ""})` };
    return {
      status: "changed",
      msg: why.join(", "),
      diff,
      apply,
      verify: (res) => firstFailure(res, labels) ?? (wantOpen && cannotOpen ? `${why.join(", ")} done, but ${cannotOpen}` : undefined),
    };
  },
};

function openOp(dev: string, name: string, passphrase: string): Op {
  return { op: "sh", script: `cryptsetup open --type luks --key-file - ${shq(dev)} ${shq(name)} && [ -b /dev/mapper/${name} ]`, stdin: b64(passphrase), timeout: 120 };
}

/** A disk without a LUKS header: format it only when it holds nothing at all. */
function fresh(a: Args, ctx: TaskContext, dev: string, c: BlockDevice, tabBefore: string, cannotOpen: string | false | undefined): Plan {
  const found = notEmpty(c, true);
  if (!a.format) return { status: "failed", msg: `${dev} (volume ${a.volume}) has no LUKS header${found ? ` (${found})` : ""}; unlock never formats a disk — deploy the service first. Nothing was changed` };
  if (found) return { status: "failed", msg: `refusing to encrypt ${dev} (volume ${a.volume}): it is not empty — ${found}. Nothing was changed. ${byHand(dev, true)}` };
  const v = volumeOf(ctx.host, a.volume);
  const name = mapperName(a.volume);
  const uuid = crypto.randomUUID();
  const tabAfter = placeCrypttab(tabBefore, name, crypttabLine(name, uuid));
  const apply: Op[] = [
    {
      op: "sh",
      // re-resolve and re-check in the same shell, a moment before luksFormat writes
      script: [resolveOne(v), guardScript(dev, true), `[ "$d" = "$g" ] || mt_stop "volume ${a.volume} now resolves to \${d:-nothing}"`, formatCommand(a, dev, uuid)].join("\n"),
      stdin: b64(a.passphrase),
      timeout: 600,
    },
    { op: "write", path: a.crypttab, content: b64(tabAfter.text) },
  ];
  const labels = ["luksFormat", `write ${a.crypttab}`];
  if (a.open && !cannotOpen) apply.push(openOp(dev, name, a.passphrase)), labels.push(`cryptsetup open ${name}`);
  const what = `format ${dev} as ${a.type.toUpperCase()} (volume ${a.volume}), crypttab entry for ${name}`;
  return {
    status: "changed",
    msg: a.open && !cannotOpen ? `${what}, open as ${mapperPath(a.volume)}` : what,
    diff: fileDiff(a.crypttab, tabBefore, tabAfter.text),
    apply,
    verify: (res) => {
      const failure = firstFailure(res.slice(0, 1), labels.slice(0, 1));
      // the crypttab write runs even when luksFormat failed (ops of a batch all run): harmless
      // (noauto, a UUID no disk has) and replaced by the next run, but say what happened
      if (failure) return failure;
      const rest = firstFailure(res.slice(1), labels.slice(1));
      if (rest) return `formatted ${dev} as ${a.type.toUpperCase()} (volume ${a.volume}), then ${rest}`;
      if (a.open && cannotOpen) return `formatted ${dev} as ${a.type.toUpperCase()} (volume ${a.volume}, crypttab entry written), but ${cannotOpen}`;
      return undefined;
    },
  };
}
