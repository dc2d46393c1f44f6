/**
 * The lab environment file as a test or the bench wants it: hosts/lab.yaml has a monitoring
 * tier (issue 18), which only the rehearsal needs; the others leave it out (one host less to
 * boot and install, and the bench's target counts stay those of the four service tiers).
 * Comments and layout of the rest are kept (yaml's Document API).
 */
import { parseDocument } from "yaml";

export function withoutMonitoring(envYaml: string): string {
  const doc = parseDocument(envYaml);
  doc.deleteIn(["tiers", "monitoring"]);
  doc.delete("monitoring");
  return doc.toString();
}
