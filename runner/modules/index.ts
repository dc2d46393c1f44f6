/**
 * The module registry: a task's module key (`template:`, `file:` …) → its Module.
 * Add one line per module.
 */
import type { Module } from "./types";

export const modules: Record<string, Module> = {};

export const moduleNames = (): string[] => Object.keys(modules).sort();
