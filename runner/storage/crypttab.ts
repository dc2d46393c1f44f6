/**
 * /etc/crypttab lines for LUKS volumes: `<volume>_crypt UUID=<luks uuid> none luks,noauto`.
 * Key file `none` and `noauto`: the passphrase is never on the host, so nothing opens the
 * volume at boot; `multitier unlock` (or an operator with cryptsetup) opens it by hand.
 */
export const crypttabLine = (name: string, uuid: string): string => `${name} UUID=${uuid} none luks,noauto`;

/** Replace the line whose first field is `name` (in place), else append it. */
export function placeCrypttab(text: string, name: string, line: string): { text: string; changed: boolean } {
  const rows = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const ours = (l: string) => !/^\s*#/.test(l) && l.trim().split(/\s+/)[0] === name;
  let placed = false;
  const next = rows.flatMap((l) => (ours(l) ? (placed ? [] : ((placed = true), [line])) : [l]));
  if (!placed) next.push(line);
  const out = next.join("\n") + "\n";
  return { text: out, changed: out !== (rows.length ? rows.join("\n") + "\n" : "") };
}
