/**
 * runner/inventory.ts's naturalCompare (the inventory's host order without ICU's collator)
 * against localeCompare(…, { numeric: true }), the order it replaces, on random names of
 * lower-case letters, digits and dashes (what tier and host names are made of), by fast-check.
 */
import fc from "fast-check";
import { naturalCompare } from "../../runner/inventory";

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);

test("same sign as localeCompare with numeric collation on tier and host names", () => {
  fc.assert(
    fc.property(name, name, (a, b) => {
      // ICU orders "01" and "1" equal at the primary level and then apart; both are rare in names
      fc.pre(!/(^|\D)0\d/.test(a) && !/(^|\D)0\d/.test(b));
      expect(Math.sign(naturalCompare(a, b))).toBe(Math.sign(a.localeCompare(b, "en", { numeric: true })));
    }),
    { numRuns: 2000 },
  );
});

test("tier names: character-code order is localeCompare's order (no numeric collation) on them", () => {
  fc.assert(fc.property(name, name, (a, b) => expect(Math.sign(a < b ? -1 : a > b ? 1 : 0)).toBe(Math.sign(a.localeCompare(b, "en")))), { numRuns: 2000 });
});

test("natural order of a lab inventory", () => {
  const hosts = ["app-10", "app-2", "db-1", "app-1", "monitoring-1", "app-1a", "app-1-b"];
  expect([...hosts].sort(naturalCompare)).toEqual(["app-1", "app-1-b", "app-1a", "app-2", "app-10", "db-1", "monitoring-1"]);
  expect(naturalCompare("app", "app")).toBe(0);
});
