/**
 * The lab's stand-in for the AWS load balancer (which cannot run in the lab): an nginx on the
 * bastion, listening on BALANCER_PORT, passing requests to an upstream of the webapp hosts'
 * HTTPS port. The runner's `lab` balancer (runner/balancer/lab.ts) marks hosts `down` in the
 * upstream file and reloads this nginx; test/lab/rolling.test.ts starts it and asks it for
 * pages while a rollout runs. `standinOutput` is what goes into the outputs' inventory as
 * `loadBalancer` so the runner picks it.
 */
import { renderUpstream } from "../runner/balancer/lab";

export const BALANCER_DIR = "/etc/multitier-lb";
export const BALANCER_PORT = 8088;
export const UPSTREAM = "webapp_pool";

export const standinOutput = () => ({ kind: "lab", upstreamFile: `${BALANCER_DIR}/upstream.conf`, nginxConf: `${BALANCER_DIR}/nginx.conf` });

/** nginx.conf of the stand-in: its own pid, logs and temp dirs under BALANCER_DIR (the bastion's own nginx, if any, is untouched). */
export function standinNginxConf(): string {
  return `# multitier lab: the stand-in load balancer (lab/balancer.ts)
pid ${BALANCER_DIR}/nginx.pid;
error_log ${BALANCER_DIR}/error.log;
events {}
http {
    access_log ${BALANCER_DIR}/access.log;
    client_body_temp_path ${BALANCER_DIR}/tmp;
    proxy_temp_path ${BALANCER_DIR}/tmp;
    fastcgi_temp_path ${BALANCER_DIR}/tmp;
    uwsgi_temp_path ${BALANCER_DIR}/tmp;
    scgi_temp_path ${BALANCER_DIR}/tmp;
    include ${BALANCER_DIR}/upstream.conf;
    server {
        listen ${BALANCER_PORT};
        location / {
            proxy_pass https://${UPSTREAM};
            proxy_ssl_verify off;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 2s;
            add_header X-Upstream $upstream_addr always;
        }
    }
}
`;
}

/** A shell script (run as root on the bastion) that writes the config for these hosts and starts nginx. */
export function startStandinScript(addresses: string[]): string {
  const upstream = renderUpstream(UPSTREAM, addresses.map((a) => `${a}:443`));
  return [
    `set -e`,
    `mkdir -p ${BALANCER_DIR}/tmp`,
    `cat > ${BALANCER_DIR}/nginx.conf <<'MTCONF'\n${standinNginxConf()}MTCONF`,
    `cat > ${BALANCER_DIR}/upstream.conf <<'MTCONF'\n${upstream}MTCONF`,
    `nginx -q -t -c ${BALANCER_DIR}/nginx.conf`,
    `nginx -c ${BALANCER_DIR}/nginx.conf`,
  ].join("\n");
}

export const stopStandinScript = () => `[ -f ${BALANCER_DIR}/nginx.pid ] && kill $(cat ${BALANCER_DIR}/nginx.pid) || true`;
