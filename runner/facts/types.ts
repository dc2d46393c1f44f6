/**
 * What a host-state reader is (issue 15.2; pyinfra's facts/ is the model). A reader knows ONE
 * kind of state: the op that asks for it and the parsing of the answer, nothing else.
 *
 *   op(args)          -> Op   what to send (batched with every other probe by the executor)
 *   read(answer, what) -> F   the fact, parsed; a failed op throws "<what>: <error>"
 *
 * `native`: the agent reads it in its own process (an op of agent/protocol.ts); otherwise it
 * runs a command (a `sh` op whose output `read` parses). Modules name readers through the one
 * index (./index.ts) and never parse a probe's output themselves.
 */
import type { Op, OpResult } from "../agent/protocol";

export interface Reader<A, F> {
  name: string;
  /** one line: which state, read how */
  doc: string;
  native: boolean;
  op(args: A): Op;
  read(answer: OpResult | undefined, what: string): F;
}
