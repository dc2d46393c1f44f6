export { HostKeyError, KnownHosts, fingerprint, parseKnownHosts, hostToken } from "./known-hosts";
export { SshSession, TargetConnection, UnreachableError, type Endpoint, type SshOptions } from "./session";
