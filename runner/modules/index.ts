/**
 * The module registry: a task's module key (`template:`, `file:` …) → its Module.
 * One file per module; add one line here per module.
 */
import { command, shell } from "./command";
import { copy } from "./copy";
import { cron } from "./cron";
import { file } from "./file";
import { filesystem } from "./filesystem";
import { httpCheckModule, uri, waitFor } from "./gates";
import { git } from "./git";
import { lineinfile } from "./lineinfile";
import { luks } from "./luks";
import { mount } from "./mount";
import { packageModule } from "./package";
import { service } from "./service";
import { show } from "./show";
import { template } from "./template";
import type { Module } from "./types";
import { user } from "./user";

export const modules: Record<string, Module> = {
  template,
  copy,
  file,
  lineinfile,
  command,
  shell,
  package: packageModule,
  service,
  user,
  git,
  cron,
  luks,
  filesystem,
  mount,
  show,
  wait_for: waitFor,
  http_check: httpCheckModule,
  uri,
};

export const moduleNames = (): string[] => Object.keys(modules).sort();
