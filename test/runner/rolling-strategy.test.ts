/**
 * The rolling strategy alone (runner/rolling.ts) with doubles for the executor (a BatchRunner
 * that records which hosts ran and fails the ones it is told to) and for the balancer: the
 * paths the local-host tests (rolling.test.ts) cannot provoke — a balancer that refuses to
 * drain or to restore, an interrupt between batches, hosts failed in an earlier play.
 */
import type { RunEvent } from "../../runner/events";
import type { InventoryHost } from "../../runner/inventory";
import type { Play } from "../../runner/playbook";
import type { Balancer } from "../../runner/balancer/types";
import { rollPlay, stretches, type BatchRunner } from "../../runner/rolling";

const host = (name: string): InventoryHost => ({ name, tier: "web", privateIp: "10.0.0.1", user: "u", volumes: {}, address: "10.0.0.1", port: 22 });
const HOSTS = ["w1", "w2", "w3", "w4"].map(host);
const play = (over: Partial<Play> = {}): Play => ({ name: "web", hosts: "web", become: true, vars: {}, tags: [], tasks: [], handlers: [], serial: [{ count: 1 }], where: { file: "p.yml", line: 1, col: 1, field: "[0]" }, ...over });

function runner(failing: string[] = [], opts: { interruptAfter?: number } = {}) {
  const ran: string[][] = [];
  const failed = new Set<string>();
  const r: BatchRunner = {
    runBatch: async (hs) => {
      ran.push(hs.map((h) => h.name));
      hs.filter((h) => failing.includes(h.name)).forEach((h) => failed.add(h.name));
    },
    failed: (h) => failed.has(h.name),
    interrupted: () => opts.interruptAfter !== undefined && ran.length >= opts.interruptAfter,
  };
  return { r, ran, failed };
}

function balancer(fail: { drain?: string; restore?: string } = {}) {
  const calls: string[] = [];
  const b: Balancer = {
    name: "the test's balancer double",
    drain: async (hs) => {
      if (fail.drain && hs.some((h) => h.name === fail.drain)) throw new Error("throttled\nsecond line");
      calls.push(`drain ${hs.map((h) => h.name)}`);
    },
    restore: async (hs) => {
      if (fail.restore && hs.some((h) => h.name === fail.restore)) throw new Error("target not registered");
      calls.push(`restore ${hs.map((h) => h.name)}`);
    },
  };
  return { b, calls };
}

const collect = () => {
  const events: RunEvent[] = [];
  return { events, reporter: { emit: (e: RunEvent) => void events.push(e) } };
};

test("a balancer that cannot drain a batch stops the rollout before that batch changes: its hosts are not started", async () => {
  const { r, ran } = runner();
  const { b, calls } = balancer({ drain: "w2" });
  const { events, reporter } = collect();
  const rec = await rollPlay("svc", play({ balancer: "drain" }), HOSTS, r, reporter, { check: false, balancer: b });
  expect(ran).toEqual([["w1"]]);
  expect(calls).toEqual(["drain w1", "restore w1"]);
  expect(rec).toMatchObject({ stoppedAt: 2, updated: ["w1"], notStarted: ["w2", "w3", "w4"], failed: [] });
  expect(events.find((e) => e.event === "balancer" && e.action === "failed")).toMatchObject({ msg: "could not take w2 out of the test's balancer double: throttled" });
});

test("a balancer that cannot restore stops the rollout; the batch's hosts carry the new configuration", async () => {
  const { r } = runner();
  const { b } = balancer({ restore: "w1" });
  const { reporter } = collect();
  const rec = await rollPlay("svc", play({ balancer: "drain", serial: [{ count: 2 }] }), HOSTS, r, reporter, { check: false, balancer: b });
  expect(rec).toMatchObject({ stoppedAt: 1, updated: ["w1", "w2"], notStarted: ["w3", "w4"] });
});

test("failed hosts stay drained; the ones that passed go back; max_fail_percentage decides whether the next batch runs", async () => {
  const { r, ran } = runner(["w2"]);
  const { b, calls } = balancer();
  const { events, reporter } = collect();
  const rec = await rollPlay("svc", play({ balancer: "drain", serial: [{ count: 2 }], maxFailPercentage: 50 }), HOSTS, r, reporter, { check: false, balancer: b });
  expect(ran).toEqual([["w1", "w2"], ["w3", "w4"]]);
  expect(calls).toEqual(["drain w1,w2", "restore w1", "drain w3,w4", "restore w3,w4"]);
  expect(events.filter((e) => e.event === "balancer" && e.action === "kept-out").map((e) => e.event === "balancer" && e.msg)).toEqual(["w2 stays out of the test's balancer double (failed)"]);
  expect(rec).toMatchObject({ updated: ["w1", "w3", "w4"], failed: ["w2"], notStarted: [] });
});

test("--check: batches run in order, the balancer is never called; no balancer: said once", async () => {
  const { r, ran } = runner();
  const { b, calls } = balancer();
  const { events, reporter } = collect();
  await rollPlay("svc", play({ balancer: "drain", serial: [{ count: 1 }, { percent: 50 }] }), HOSTS, r, reporter, { check: true, balancer: b });
  expect(ran).toEqual([["w1"], ["w2", "w3"], ["w4"]]);
  expect(calls).toEqual([]);
  const none = collect();
  await rollPlay("svc", play({ balancer: "drain" }), HOSTS, runner().r, none.reporter, { check: false });
  expect(none.events.filter((e) => e.event === "balancer")).toEqual([{ event: "balancer", action: "none", hosts: [], msg: "no load balancer in this environment: batches are not drained" }]);
});

test("an interrupt between batches: the rest are not started; hosts failed in an earlier play are left out of the batches", async () => {
  const { r } = runner([], { interruptAfter: 1 });
  const { reporter } = collect();
  expect(await rollPlay("svc", play(), HOSTS, r, reporter, { check: false })).toMatchObject({ updated: ["w1"], notStarted: ["w2", "w3", "w4"] });
  const earlier = runner(["w1"]);
  await earlier.r.runBatch([host("w1")]); // w1 failed before this play
  const rec = await rollPlay("svc", play(), HOSTS, earlier.r, collect().reporter, { check: false });
  expect(rec.batches).toEqual([["w2"], ["w3"], ["w4"]]);
});

test("stretches: consecutive plain plays together, each rolling play alone, in order", () => {
  const p = (serial?: boolean) => play({ serial: serial ? [{ count: 1 }] : undefined });
  expect(stretches([p(), p(), p(true), p(), p(true), p(true)], (x) => x.serial !== undefined)).toEqual([
    { rolling: false, plays: [0, 1] },
    { rolling: true, plays: [2] },
    { rolling: false, plays: [3] },
    { rolling: true, plays: [4] },
    { rolling: true, plays: [5] },
  ]);
});
