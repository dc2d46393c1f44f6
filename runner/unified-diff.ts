/**
 * Unified diffs for --diff (files, crontabs, fstab/crypttab). The `diff` package is loaded on
 * the first diff asked for, not at every start of the command line (bench/startup.sh).
 */
export function unifiedDiff(oldName: string, newName: string, before: string, after: string, context?: number): string {
  const { createTwoFilesPatch } = require("diff") as typeof import("diff");
  return createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, context === undefined ? undefined : { context });
}
