// The stylesheet of the HTML pages: system fonts (nothing to download), one
// palette, cards on a responsive grid that holds two charts a row at 1280 px.

export const STYLE = `
:root {
  --ink: #1d2330; --muted: #5b6475; --faint: #8a92a3; --line: #e3e6ec; --grid: #eceef2;
  --bg: #f5f6f8; --card: #ffffff; --accent: #3b6fd8;
  --good: #23865f; --good-bg: #e5f4ed; --bad: #c23b4e; --bad-bg: #fbe9ec; --warn: #a86b00;
  --fault: rgba(209, 73, 91, 0.13);
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-variant-numeric: tabular-nums;
}
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 40px; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin-bottom: 16px; }
header.top h1 { font-size: 22px; font-weight: 650; margin: 0; letter-spacing: -0.01em; }
header.top .meta { color: var(--muted); font-size: 13px; }
header.top .meta span + span::before { content: "·"; margin: 0 7px; color: var(--faint); }
h2 { font-size: 15px; font-weight: 650; margin: 28px 0 10px; color: var(--ink); text-transform: none; }
h2 small { font-weight: 400; color: var(--muted); margin-left: 8px; font-size: 13px; }
h3 { font-size: 13px; font-weight: 600; margin: 0; }
.note { color: var(--muted); font-size: 12px; margin: 2px 0 6px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin: 0; min-width: 0; }
.grid { display: grid; gap: 14px; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); }
.grid .wide { grid-column: 1 / -1; }
.kpis { display: grid; gap: 10px; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); }
.kpi { padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 22px; font-weight: 650; letter-spacing: -0.01em; margin-top: 2px; white-space: nowrap; }
.kpi .sub { color: var(--faint); font-size: 12px; }
.kpi.good .value { color: var(--good); } .kpi.bad .value { color: var(--bad); }
figcaption { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.fault-key { font-size: 11px; color: var(--bad); display: inline-flex; align-items: center; gap: 5px; }
.fault-key::before { content: ""; width: 14px; height: 10px; background: var(--fault); border: 1px solid rgba(209,73,91,.35); border-radius: 2px; }
.plot { width: 100%; margin-top: 6px; }
.uplot { font-family: inherit; }
.uplot .u-legend { font-size: 12px; color: var(--muted); text-align: left; padding: 2px 0 0; }
.uplot .u-legend .u-series { padding: 1px 6px; }
.uplot .u-legend .u-series th { font-weight: 500; }
.uplot .u-legend .u-marker { width: 10px; height: 3px; border-radius: 2px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr:last-child td { border-bottom: none; }
tfoot td { font-weight: 650; border-top: 2px solid var(--line); }
.pill { display: inline-block; font-size: 11px; font-weight: 650; padding: 1px 8px; border-radius: 99px; }
.pill.pass { color: var(--good); background: var(--good-bg); } .pill.fail { color: var(--bad); background: var(--bad-bg); }
.better { color: var(--good); font-weight: 650; }
.muted { color: var(--muted); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f0f2f5; padding: 1px 5px; border-radius: 4px; }
.graph svg { width: 100%; height: auto; display: block; }
.graph .node rect { stroke: rgba(0,0,0,.18); stroke-width: 1; }
.graph .node text { font-size: 12px; fill: #10141c; }
.graph .node text.kind { font-size: 10.5px; fill: rgba(16,20,28,.7); }
.graph .edge { stroke: #a3abba; stroke-width: 1.4; fill: none; }
.graph .node.faulted rect { stroke: var(--bad); stroke-width: 2; stroke-dasharray: 5 3; }
.scale { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 12px; margin-top: 6px; flex-wrap: wrap; }
.scale .bar { width: 160px; height: 10px; border-radius: 3px; }
.two { display: grid; gap: 14px; grid-template-columns: minmax(0, 2fr) minmax(280px, 1fr); }
@media (max-width: 1100px) { .two { grid-template-columns: 1fr; } }
@media (max-width: 640px) { main { padding: 12px; } .grid { grid-template-columns: 1fr; } }
footer { color: var(--faint); font-size: 12px; margin-top: 28px; }
`;
