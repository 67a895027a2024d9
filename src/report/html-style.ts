/** The inline stylesheet of the HTML drift report (no external resources). */
export const HTML_STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; } h4 { font-size: .95rem; margin: .8rem 0 .3rem; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; }
.scroll { overflow-x: auto; max-width: 100%; }
.matrix th.res { max-width: 12rem; word-break: break-all; font-weight: 600; font-family: ui-monospace, monospace; font-size: 12px; }
.matrix td { text-align: center; white-space: nowrap; }
.s-ok, .s-in_sync { background: #dafbe1; color: #116329; }
.s-drift { background: #fff1c2; color: #7d4e00; font-weight: 600; }
.s-error { background: #ffdcd7; color: #82071e; font-weight: 600; }
.s-absent { background: #f6f8fa; color: #57606a; }
.verdict { display: inline-block; padding: .4rem .8rem; border-radius: 6px; font-weight: 700; font-size: 1.05rem; }
.meta th { width: 9rem; } .legend span { display: inline-block; padding: .1rem .5rem; margin-right: .4rem; border-radius: 4px; }
.del { color: #82071e; background: #ffebe9; } .add { color: #116329; background: #e6ffec; } .ctx { color: #57606a; }
a { color: inherit; }
`;
