/**
 * Rolling deploys, the pure part: batches as Ansible plans them (serial: a number, a
 * percentage, a list whose last size repeats), when a batch stops the rollout
 * (max_fail_percentage), and bad values as one file:line:col line at load time.
 */
import fc from "fast-check";
import { YamlSource } from "../../config/yamlsource";
import { parsePlaybook } from "../../runner/playbook";
import { batchSizes, batchStops, describeBatches, parseSerialFlag, planBatches, serialItem, type SerialItem } from "../../runner/rollout";

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

test("serial: a number, a percentage (of the play's hosts, floored, at least 1), a list whose last size repeats", () => {
  expect(planBatches(hosts(3), [{ count: 1 }])).toEqual([["h1"], ["h2"], ["h3"]]);
  expect(batchSizes(10, [{ percent: 30 }])).toEqual([3, 3, 3, 1]);
  expect(batchSizes(3, [{ percent: 10 }])).toEqual([1, 1, 1]); // 10% of 3 is 0.3: at least one host
  expect(batchSizes(10, [{ count: 1 }, { percent: 50 }])).toEqual([1, 5, 4]);
  expect(batchSizes(7, [{ count: 1 }, { count: 2 }])).toEqual([1, 2, 2, 2]);
  expect(batchSizes(5, undefined)).toEqual([5]);
  expect(batchSizes(0, [{ count: 1 }])).toEqual([]);
  expect(describeBatches(planBatches(["webapp", "webapp-2", "webapp-3"], [{ count: 1 }]))).toBe("batch 1/3: webapp; batch 2/3: webapp-2; batch 3/3: webapp-3");
});

const item = fc.oneof(fc.integer({ min: 1, max: 20 }).map((count): SerialItem => ({ count })), fc.integer({ min: 1, max: 100 }).map((percent): SerialItem => ({ percent })));

test("property: batches cover every host once, in inventory order, none empty; sizes follow the list", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 60 }), fc.array(item, { minLength: 1, maxLength: 4 }), (n, serial) => {
      const hs = hosts(n);
      const batches = planBatches(hs, serial);
      expect(batches.flat()).toEqual(hs);
      for (const b of batches) expect(b.length).toBeGreaterThan(0);
      const want = (s: SerialItem) => ("count" in s ? s.count : Math.max(1, Math.floor((s.percent / 100) * n)));
      // every batch but the last has exactly its list element's size (the last element repeats)
      batches.slice(0, -1).forEach((b, k) => expect(b.length).toBe(want(serial[Math.min(k, serial.length - 1)])));
    }),
  );
});

test("max_fail_percentage: stops when MORE than the percentage failed, or the whole batch; without it any failure stops", () => {
  expect(batchStops(0, 4, undefined)).toBe(false);
  expect(batchStops(1, 4, undefined)).toBe(true);
  expect(batchStops(1, 4, 25)).toBe(false); // 25% is not more than 25%
  expect(batchStops(2, 4, 25)).toBe(true);
  expect(batchStops(2, 2, 100)).toBe(true); // a batch whose every host failed
  expect(batchStops(1, 2, 50)).toBe(false);
});

test("serial values: numbers, \"N\" and \"N%\"; the CLI's comma list", () => {
  expect(serialItem(2)).toEqual({ count: 2 });
  expect(serialItem("30%")).toEqual({ percent: 30 });
  expect(serialItem("4")).toEqual({ count: 4 });
  for (const bad of [0, -1, 1.5, "0%", "101%", "x", null, true]) expect([bad, serialItem(bad)]).toEqual([bad, undefined]);
  expect(parseSerialFlag("1,50%")).toEqual([{ count: 1 }, { percent: 50 }]);
  expect(() => parseSerialFlag("1,,2")).toThrow('--serial: expected a positive number of hosts, a percentage such as "30%", or a comma-separated list such as 1,50%, got "1,,2"');
});

const play = (extra: string) => `- name: web\n  hosts: app\n${extra}  tasks:\n    - name: t\n      show: { cmd: "true" }\n`;
const parse = (text: string) => parsePlaybook(new YamlSource("playbooks/svc.yml", text), "svc");

test("the play keywords parse: serial, max_fail_percentage, balancer, post_tasks", () => {
  const p = parse(play(`  serial: [1, "50%"]\n  max_fail_percentage: 30\n  balancer: drain\n  post_tasks:\n    - name: gate\n      http_check: { path: /ping, port: 8080 }\n`)).plays[0];
  expect(p.serial).toEqual([{ count: 1 }, { percent: 50 }]);
  expect(p.maxFailPercentage).toBe(30);
  expect(p.balancer).toBe("drain");
  expect(p.postTasks?.map((t) => t.moduleName)).toEqual(["http_check"]);
  expect(parse(play("")).plays[0].serial).toBeUndefined();
});

test.each([
  [`  serial: 0\n`, 'playbooks/svc.yml:3:11 [0].serial: expected a positive number of hosts, a percentage such as "30%", or a list of them such as [1, "50%"], got 0'],
  [`  serial: [1, "half"]\n`, 'playbooks/svc.yml:3:15 [0].serial[1]: expected a positive number of hosts, a percentage such as "30%", or a list of them such as [1, "50%"], got "half"'],
  [`  serial: []\n`, 'playbooks/svc.yml:3:11 [0].serial: expected a positive number of hosts, a percentage such as "30%", or a list of them such as [1, "50%"], got an empty list'],
  [`  max_fail_percentage: 120\n`, "playbooks/svc.yml:3:24 [0].max_fail_percentage: expected a percentage from 0 to 100, got 120"],
  [`  balancer: yes\n`, 'playbooks/svc.yml:3:13 [0].balancer: expected drain (take each batch out of the load balancer during its change), got "yes"'],
  [`  seral: 1\n`, 'playbooks/svc.yml:3:3 [0].seral: unknown play key; did you mean "serial"?'],
  [`  post_tasks:\n    - name: gate\n      wait_for: { port: 99999 }\n`, "playbooks/svc.yml:5:25 [0].post_tasks[0].wait_for.port: Number must be less than or equal to 65535"],
])("bad play keyword %j: one line at file:line:col", (extra, message) => {
  expect(() => parse(play(extra))).toThrow(message);
});
