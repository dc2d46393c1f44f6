/**
 * The list of commands. Each command lives in its own file and exports a `Register`
 * (cli/command.ts), which adds it to the program.
 */
import type { Register } from "../command";
import { registerDeploy } from "./deploy";
import { registerModules } from "./modules";
import { registerPing } from "./ping";
import { registerPolicy } from "./policy";
import { registerReview } from "./review";
import { registerTunnel } from "./tunnel";
import { registerUnlock } from "./unlock";
import { registerValidate } from "./validate";
import { registerVault } from "./vault";

export const commands: Register[] = [registerValidate, registerDeploy, registerPing, registerUnlock, registerVault, registerTunnel, registerReview, registerPolicy, registerModules];
