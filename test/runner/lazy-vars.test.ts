/**
 * Variables are rendered when the task is prepared, but one that does not render is an error
 * only where it is used (Ansible's lazy templating): a task its `when` skips — the monitoring
 * agent's, in an environment without a monitoring section — must not fail on its vars.
 */
import { jexl, type Play, type Task } from "../../runner/playbook";
import { buildVars } from "../../runner/vars";
import { FACTS } from "../tiers/render";
import { inventoryFor, VAULT } from "../monitoring/render";

test("a task variable that does not render fails where it is read, not when the vars are built", () => {
  const inv = inventoryFor("staging");
  const host = inv.hosts[0];
  const where = { file: "playbooks/x.yml", line: 3, col: 3, field: "[0].tasks[0]" };
  const play = { name: "p", hosts: "all", become: true, vars: {}, tags: [], tasks: [], handlers: [], where } as unknown as Play;
  const task = { name: "t", vars: { program: { command: "exporter --port {{env.nothing.port}}" }, fine: "{{host.name}}" }, when: "false", where } as unknown as Task;
  const vars = buildVars(inv, host, play, task, FACTS, VAULT);
  expect(vars.fine).toBe(host.name);
  expect(jexl.evalSync("false", vars)).toBe(false); // the task's when: evaluated without reading program
  expect(() => vars.program).toThrow(/env\.nothing/);
});

test("the shipped staging file without its monitoring section: the agent's vars build, its when is false", () => {
  const shipped = inventoryFor("staging");
  const inv = { ...shipped, env: { ...shipped.env, monitoring: undefined } }; // the section left out
  {
    const where = { file: "playbooks/_node-exporter.yml", line: 1, col: 1, field: "" };
    const play = { name: "p", hosts: "all", become: true, vars: {}, tags: [], tasks: [], handlers: [], where } as unknown as Play;
    const task = { name: "t", vars: { program: { command: "prometheus-node-exporter --web.listen-address={{host.privateIp}}:{{env.monitoring.exporterPort}}" } }, where } as unknown as Task;
    const vars = buildVars(inv, inv.hosts[0], play, task, FACTS, VAULT);
    expect(jexl.evalSync("env.monitoring && env.monitoring.enabled", vars)).toBeFalsy();
  }
});
