/**
 * The list of commands. Each command lives in its own file and exports `register`, which
 * adds it to the program; `setExit` records the exit code the command wants.
 */
import type { Command } from "commander";
import { registerDeploy } from "./deploy";
import { registerPing } from "./ping";
import { registerPolicy } from "./policy";
import { registerReview } from "./review";
import { registerTunnel } from "./tunnel";
import { registerUnlock } from "./unlock";
import { registerValidate } from "./validate";
import { registerVault } from "./vault";

export type Register = (program: Command, setExit: (code: number) => void) => void;

export const commands: Register[] = [registerValidate, registerDeploy, registerPing, registerUnlock, registerVault, registerTunnel, registerReview, registerPolicy];
