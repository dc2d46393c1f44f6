/**
 * Every host-state reader, by name: the one place a module looks for how to read a kind of
 * state. A new kind: one file here (op + parsing), one line below, and the module that asks
 * for it — three files (a native one also adds its op to agent/protocol.ts and agent.py).
 * Recorded outputs for each reader: test/facts/.
 */
import { blockDevice } from "./block-device";
import { volumeDisks } from "./disks";
import { checkout } from "./git";
import { health } from "./health";
import { dirEntries, mountPoint } from "./mounts";
import { account, crontab, file } from "./native";
import { output } from "./output";
import { packages } from "./packages";
import { service } from "./service";

export const facts = { file, account, crontab, output, packages, service, checkout, blockDevice, volumeDisks, mountPoint, dirEntries, health } as const;

export type FactName = keyof typeof facts;
