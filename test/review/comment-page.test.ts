/**
 * The review comment as a reviewer sees it: the Markdown of a dangerous plan (the synth diff
 * of moving the database to another fixed IP: the instance and, cascading, its three volume
 * attachments are replaced) rendered like GitHub (page.ts, `marked`), opened in Debian's
 * headless Chromium; a screenshot is kept in test/artifacts/ (git-ignored) and the layout is
 * read from the DOM: the banner and the Plan line within the first 700 px, every <details>
 * collapsed. Skipped, with the reason, when /usr/bin/chromium is absent.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnvironment } from "../../config/load";
import { YamlSource } from "../../config/yamlsource";
import { analyze } from "../../review/analyze";
import { renderMarkdown } from "../../review/markdown";
import { diffStacks } from "../../review/synth-diff";
import { synthEnv } from "../stacks/synth";
import { reviewPage } from "./page";
import { ROOT } from "./plans";

const CHROMIUM = "/usr/bin/chromium";
const have = fs.existsSync(CHROMIUM);
if (!have) console.log(`comment page test skipped: ${CHROMIUM} not found (Debian package chromium; make setup installs it)`);
const ARTIFACTS = path.join(ROOT, "test", "artifacts");
const FOLD = 700;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mt-page-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** headless Chromium for this closed network, a fresh profile each run */
function chromium(args: string[]): { stdout: string; status: number | null } {
  const profile = fs.mkdtempSync(path.join(tmp, "profile-"));
  const r = spawnSync(
    CHROMIUM,
    ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, "--window-size=1280,900", "--hide-scrollbars", ...args],
    { encoding: "utf8", timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { stdout: r.stdout, status: r.status };
}

function dangerousReview(): string {
  const prod = fs.readFileSync(path.join(ROOT, "hosts", "production.yaml"), "utf8");
  const stack = (text: string) => synthEnv(checkEnvironment(new YamlSource("hosts/production.yaml", text)).env!).json;
  const moved = prod.replace("privateIps: [192.168.1.100]", "privateIps: [192.168.1.101]");
  const a = analyze(diffStacks({ production: stack(prod) }, { production: stack(moved) }));
  a.planLine = a.planLine.replace(/^Plan:/, "Predicted:");
  return renderMarkdown(a, "Synthesized change against origin/main (predicted, no credentials)");
}

(have ? describe : describe.skip)("the review comment in headless Chromium", () => {
  test("banner and Plan line above the fold (700 px), details collapsed; screenshot kept", () => {
    const md = dangerousReview();
    const page = path.join(tmp, "review.html");
    fs.writeFileSync(page, reviewPage(md));

    // the screenshot first: it is there to look at when an assertion below fails
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, "review-comment.png");
    fs.rmSync(shot, { force: true });
    expect(chromium([`--screenshot=${shot}`, `file://${page}`]).status).toBe(0);
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280); // width from the IHDR chunk

    const dom = chromium(["--dump-dom", `file://${page}`]);
    expect(dom.status).toBe(0);
    const raw = /data-layout="([^"]*)"/.exec(dom.stdout)?.[1];
    expect(raw).toBeDefined();
    const layout = JSON.parse(raw!.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"));

    expect(layout.plan.text).toBe("Predicted: 4 to add, 0 to change, 4 to destroy.");
    expect(layout.plan.bottom).toBeLessThanOrEqual(FOLD);
    expect(layout.banner.text).toMatch(/^Caution/);
    // the whole banner — the instance and the three attachments its replacement takes with it
    expect(layout.banner.text.match(/REPLACE/g)).toHaveLength(4);
    expect(layout.banner.top).toBeLessThan(layout.banner.bottom);
    expect(layout.banner.bottom).toBeLessThanOrEqual(FOLD);
    expect(layout.details.length).toBeGreaterThan(3);
    for (const d of layout.details) {
      expect(d.open).toBe(false);
      expect(d.contentVisible).toBe(false);
      expect(d.height).toBeLessThanOrEqual(d.summaryHeight + 1);
    }

    console.log(`comment page: screenshot in ${path.relative(ROOT, shot)}`);
  }, 240_000);
});
