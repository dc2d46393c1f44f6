/**
 * `make docs-inputs`: rewrite README.md's "Environment files" inputs table from the schema
 * (config/inputs-table.ts). `--check` changes nothing and exits 1 when the README is stale.
 * An optional file argument replaces README.md (the test checks a stale copy).
 */
import * as fs from "fs";
import { withInputsTable } from "../config/inputs-table";

const file = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "README.md";
const before = fs.readFileSync(file, "utf8");
const after = withInputsTable(before);
if (process.argv.includes("--check")) {
  if (after !== before) {
    process.stderr.write(`${file}: the inputs table is stale; run make docs-inputs\n`);
    process.exit(1);
  }
  process.stdout.write(`${file}: inputs table up to date\n`);
} else if (after !== before) {
  fs.writeFileSync(file, after);
  process.stdout.write(`${file}: inputs table rewritten from config/schema.ts\n`);
} else process.stdout.write(`${file}: inputs table already up to date\n`);
