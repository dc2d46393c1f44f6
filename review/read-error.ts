/** Input that is not a readable plan: one line, exit 1. Its own module so the CLI's error report loads nothing heavy. */
export class PlanReadError extends Error {}
