/**
 * What `multitier vault create` writes: every secret the playbooks read, with random values
 * (and a self-signed TLS certificate for the webapp, to be replaced by a real one).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import type { Environment } from "../../config/environment";

export function randomSecret(): string {
  return crypto.randomBytes(24).toString("base64url");
}

function selfSignedCert(cn: string): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-cert-"));
  try {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825", "-subj", `/CN=${cn}`, "-keyout", key, "-out", cert], { stdio: "ignore" });
    return { cert: fs.readFileSync(cert, "utf8"), key: fs.readFileSync(key, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function newSecrets(env: Environment): Record<string, unknown> {
  const luks: Record<string, string> = {};
  // one per tier, also for tiers without encrypted volumes today: turning encryption on later
  // then needs no vault edit
  for (const tier of Object.keys(env.tiers)) luks[tier] = randomSecret();
  return {
    luks,
    mongodb: { admin: randomSecret(), readwrite: randomSecret(), readonly: randomSecret() },
    tls: selfSignedCert(`${env.prefix}-webapp`),
    push: { server_auth_token: randomSecret(), ios_key_id: "REPLACE_ME" },
    jupyter: { token: randomSecret() },
    // the SMTP relay's credentials (e.g. SES SMTP user), when alerts go by mail
    ...(env.monitoring?.enabled && env.monitoring.alerts.smtp ? { monitoring: { smtp: { username: "REPLACE_ME", password: "REPLACE_ME" } } } : {}),
  };
}

export function secretsYaml(secrets: Record<string, unknown>): string {
  return "# multitier secrets — edit with `multitier vault edit` or `ansible-vault edit`\n" + stringify(secrets);
}
