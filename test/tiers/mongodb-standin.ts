/**
 * A STAND-IN for a MongoDB server's user management, and a stub of the mongosh API on top of
 * it, so templates/mongodb-users.js.hbs can be run here (MongoDB cannot be installed on this
 * machine). It implements exactly these documented rules, nothing more:
 *
 * - Localhost exception (https://www.mongodb.com/docs/manual/core/localhost-exception/): with
 *   authorization enabled and no user on the server, a localhost connection may create the
 *   first user, in the admin database — and run no other command. Once any user exists the
 *   exception is gone.
 * - Every command needs an authenticated connection once a user exists; since MongoDB 2.7.1
 *   this includes usersInfo, i.e. db.getUser (https://jira.mongodb.org/browse/SERVER-12621,
 *   https://www.mongodb.com/docs/manual/reference/command/usersInfo/): code 13 Unauthorized.
 * - createUser of an existing user fails with code 51003 "User … already exists"
 *   (https://www.mongodb.com/docs/manual/reference/method/db.createUser/).
 * - updateUser sets the password and replaces the roles
 *   (https://www.mongodb.com/docs/manual/reference/method/db.updateUser/).
 * - db.auth with a wrong password or unknown user fails with code 18 AuthenticationFailed;
 *   mongosh throws it (https://www.mongodb.com/docs/manual/reference/method/db.auth/).
 * - Creating or updating users needs a user-admin role (root, userAdmin(AnyDatabase)).
 * Error codes: https://www.mongodb.com/docs/manual/reference/error-codes/
 */
import * as vm from "vm";

export interface StandinUser {
  user: string;
  db: string;
  pwd: string;
  roles: { role: string; db: string }[];
}

export class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
    this.name = "MongoServerError";
  }
}

const USER_ADMIN_ROLES = ["root", "userAdminAnyDatabase", "userAdmin"];

/** The server: its users, and a log of every command it was asked (for assertions). */
export class MongodStandin {
  readonly users = new Map<string, StandinUser>();
  readonly log: { command: string; db: string; as?: string; ok: boolean }[] = [];

  connect(fromLocalhost = true): StandinConnection {
    return new StandinConnection(this, fromLocalhost);
  }

  /** What a client with `user`/`pwd` could do: true when those credentials authenticate. */
  accepts(user: string, pwd: string, db = "admin"): boolean {
    return this.users.get(`${db}.${user}`)?.pwd === pwd;
  }

  run(conn: StandinConnection, db: string, cmd: Record<string, unknown>): Record<string, unknown> {
    const command = Object.keys(cmd)[0];
    const as = conn.user; // who asked (before an authenticate changes it)
    try {
      const r = this.dispatch(conn, db, command, cmd);
      this.log.push({ command, db, as, ok: true });
      return r;
    } catch (e) {
      this.log.push({ command, db, as, ok: false });
      throw e;
    }
  }

  private dispatch(conn: StandinConnection, db: string, command: string, cmd: Record<string, unknown>): Record<string, unknown> {
    if (command === "authenticate") {
      const u = this.users.get(`${db}.${cmd.user}`);
      if (!u || u.pwd !== cmd.pwd) throw new ServerError(18, "AuthenticationFailed", "Authentication failed.");
      conn.user = `${db}.${cmd.user}`;
      return { ok: 1 };
    }
    if (!conn.user) {
      const exception = conn.fromLocalhost && this.users.size === 0;
      if (!(exception && command === "createUser" && db === "admin"))
        throw new ServerError(13, "Unauthorized", `Command ${command} requires authentication`);
    } else {
      const me = this.users.get(conn.user);
      const admin = me?.roles.some((r) => USER_ADMIN_ROLES.includes(r.role));
      if (!admin && ["createUser", "updateUser", "usersInfo"].includes(command))
        throw new ServerError(13, "Unauthorized", `not authorized on ${db} to execute command { ${command}: … }`);
    }
    const name = String(cmd[command]);
    const key = `${db}.${name}`;
    switch (command) {
      case "createUser":
        if (this.users.has(key)) throw new ServerError(51003, "Location51003", `User "${name}@${db}" already exists`);
        this.users.set(key, { user: name, db, pwd: String(cmd.pwd), roles: structuredClone(cmd.roles as StandinUser["roles"]) });
        return { ok: 1 };
      case "updateUser": {
        const u = this.users.get(key);
        if (!u) throw new ServerError(11, "UserNotFound", `Could not find user "${name}" for db "${db}"`);
        if (cmd.pwd !== undefined) u.pwd = String(cmd.pwd);
        if (cmd.roles !== undefined) u.roles = structuredClone(cmd.roles as StandinUser["roles"]);
        return { ok: 1 };
      }
      case "usersInfo": {
        const u = this.users.get(key);
        return { ok: 1, users: u ? [{ _id: key, user: u.user, db: u.db, roles: u.roles }] : [] };
      }
      case "ping":
        return { ok: 1 };
      default:
        throw new ServerError(59, "CommandNotFound", `no such command: '${command}'`);
    }
  }
}

export class StandinConnection {
  /** "<db>.<user>" once authenticated */
  user?: string;
  constructor(
    readonly server: MongodStandin,
    readonly fromLocalhost: boolean,
  ) {}
}

/** The slice of the mongosh API the users script may use, each call one command on `conn`. */
function databaseStub(conn: StandinConnection, name: string): Record<string, unknown> {
  const run = (cmd: Record<string, unknown>) => conn.server.run(conn, name, cmd);
  return {
    getName: () => name,
    getSiblingDB: (other: string) => databaseStub(conn, other),
    runCommand: (cmd: Record<string, unknown>) => run(cmd),
    auth: (user: string, pwd: string) => run({ authenticate: 1, user, pwd }),
    createUser: (doc: { user: string; pwd: string; roles: unknown }) => {
      const { user, ...rest } = doc;
      run({ createUser: user, ...rest });
    },
    updateUser: (user: string, update: Record<string, unknown>) => {
      run({ updateUser: user, ...update });
    },
    getUser: (user: string) => (run({ usersInfo: user }).users as unknown[])[0] ?? null,
  };
}

class Quit extends Error {
  constructor(readonly code: number) {
    super(`quit(${code})`);
  }
}

/** Run a mongosh script (as `mongosh --file` would) on one connection; its exit code and printed lines. */
export function runMongosh(script: string, conn: StandinConnection, dbName = "test"): { code: number; out: string[] } {
  const out: string[] = [];
  const sandbox = {
    db: databaseStub(conn, dbName),
    print: (...a: unknown[]) => out.push(a.map(String).join(" ")),
    quit: (code = 0) => {
      throw new Quit(code);
    },
  };
  try {
    vm.runInNewContext(script, sandbox, { filename: "mongod-users.js", timeout: 5000 });
    return { code: 0, out };
  } catch (e) {
    if (e instanceof Quit) return { code: e.code, out };
    // mongosh prints an uncaught error and exits 1
    out.push(`uncaught: ${(e as Error).message}`);
    return { code: 1, out };
  }
}
