/**
 * The oldest TLS version an Application Load Balancer's predefined security policy accepts,
 * read from its name, as data. Why: an HTTPS listener without `ssl_policy` gets
 * ELBSecurityPolicy-2016-08 (TLS 1.0) from every method but the console, and an old name
 * passes synth and `terraform validate`; `multitier validate` and `multitier policy`
 * (rule lb-listener-tls) refuse anything that accepts less than TLS 1.2.
 * Source: "Security policies for your Application Load Balancer"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html):
 * ELBSecurityPolicy-TLS13-1-<n>-…, ELBSecurityPolicy-TLS-1-<n>-… and ELBSecurityPolicy-FS-1-<n>-…
 * accept TLS 1.<n> and later; the others (ELBSecurityPolicy-2016-08, -2015-05, -FS-2018-06,
 * -TLS-1-0-2015-04) accept TLS 1.0.
 */

/** The default of `loadBalancer.sslPolicy`: TLS 1.3 and 1.2, AWS's recommended policy. */
export const RECOMMENDED_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** The oldest TLS minor version (0 for TLS 1.0 … 3 for TLS 1.3) a predefined policy accepts; undefined for a name that is not one. */
export function minimumTlsMinor(policy: string): number | undefined {
  const versioned = /^ELBSecurityPolicy-(?:TLS13|TLS|FS)-1-([0-3])-[A-Za-z0-9-]+$/.exec(policy);
  if (versioned) return Number(versioned[1]);
  if (/^ELBSecurityPolicy-(?:20\d\d-\d\d|FS-20\d\d-\d\d)$/.test(policy)) return 0;
  return undefined;
}

/** A predefined policy that accepts TLS 1.2 and later only. */
export const isModernTlsPolicy = (policy: string | undefined): boolean => policy !== undefined && (minimumTlsMinor(policy) ?? -1) >= 2;
