/**
 * The review comment as a page: its Markdown rendered the way GitHub does (GitHub-flavoured
 * Markdown by `marked`, `> [!CAUTION]` turned into an alert box as GitHub does), inside a
 * comment frame of GitHub's width, with a small script that writes the layout the test
 * needs (bounding boxes of the Plan line and the banner, state of every <details>) into the
 * DOM, where `chromium --dump-dom` returns it. Our own stylesheet, close to GitHub's sizes.
 */
import { marked } from "marked";

const CSS = `
body { margin: 0; background: #fff; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
.page-header { height: 120px; border-bottom: 1px solid #d1d9e0; }
.comment { width: 780px; margin: 16px auto; border: 1px solid #d1d9e0; border-radius: 6px; }
.comment-header { height: 40px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0; }
.markdown-body { padding: 16px; }
.markdown-body h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; margin: 24px 0 16px; }
.markdown-body h3 { font-size: 1.25em; margin: 24px 0 16px; }
.markdown-body h4 { font-size: 1em; margin: 24px 0 16px; }
.markdown-body p, .markdown-body ul, .markdown-body table, .markdown-body details, .markdown-alert { margin: 0 0 16px; }
.markdown-body code { font: 85% ui-monospace, monospace; background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
.markdown-body table { border-collapse: collapse; display: block; overflow: auto; }
.markdown-body td, .markdown-body th { border: 1px solid #d1d9e0; padding: 6px 13px; }
.markdown-alert { padding: 8px 16px; border-left: .25em solid #d1242f; }
.markdown-alert-title { color: #d1242f; font-weight: 500; margin: 0 0 4px; }
`;

/** GitHub's alerts: a blockquote opening with [!CAUTION] (etc.) becomes a titled box. */
function alerts(html: string): string {
  return html.replace(/<blockquote>\s*<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*([\s\S]*?)<\/blockquote>/g, (_m, kind: string, rest: string) => {
    const title = kind.charAt(0) + kind.slice(1).toLowerCase();
    return `<div class="markdown-alert markdown-alert-${kind.toLowerCase()}"><p class="markdown-alert-title">${title}</p><p>${rest}</div>`;
  });
}

/** Measures what the test asserts, into <body data-layout="…"> (JSON). */
const MEASURE = `
(() => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect(); return { top: r.top + scrollY, bottom: r.bottom + scrollY }; };
  const plan = [...document.querySelectorAll(".markdown-body strong")].find((s) => /^(Plan:|Predicted:|No changes|Planning failed)/.test(s.textContent));
  const banner = document.querySelector(".markdown-alert-caution");
  const details = [...document.querySelectorAll("details")].map((d) => {
    const summary = d.querySelector("summary");
    const inner = d.querySelector("table");
    return { open: d.open, height: d.getBoundingClientRect().height, summaryHeight: summary.getBoundingClientRect().height, contentVisible: inner ? inner.checkVisibility() : false };
  });
  document.body.setAttribute("data-layout", JSON.stringify({ plan: plan ? { text: plan.textContent, ...box(plan) } : null, banner: banner ? { text: banner.textContent.slice(0, 4000), ...box(banner) } : null, details }));
})();
`;

export function reviewPage(markdown: string): string {
  const body = alerts(marked.parse(markdown, { gfm: true, async: false }) as string);
  return `<!doctype html><html><head><meta charset="utf-8"><title>review</title><style>${CSS}</style></head><body><div class="page-header"></div><div class="comment"><div class="comment-header"></div><div class="markdown-body">${body}</div></div><script>${MEASURE}</script></body></html>`;
}
