"""``qrunner report html``: one self-contained HTML file of every check's trend.

The charts are drawn by plotly.js, inlined from the ``plotly`` package (a dependency), so the
file needs no network and opens from a downloaded CI artifact. The data is embedded as JSON;
the page builds its cards with ``textContent`` (names are never parsed as HTML) and draws a
chart when its card comes near the screen, so a report of hundreds of checks opens at once.
``<body data-rendered="N">`` says how many charts are drawn (the browser test waits for it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qrunner.errors import UsageError
from qrunner.history.store import data_files
from qrunner.history.trend import CheckSeries, read_trends, trends_json

_CSS = """
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #d0d7de;padding:8px 16px;
z-index:2;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header h1{font-size:16px;margin:0 12px 0 0}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px;padding:12px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px}
.card h2{font-size:14px;margin:0}.meta{color:#57606a;font-size:12px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px}
.chart{height:220px}.hidden{display:none}
"""

_JS = """
const DATA = JSON.parse(document.getElementById('qrunner-data').textContent);
const COLORS = {pass:'#2e7d32', no_data:'#8c959f', warn:'#d4a72c', fail:'#cf222e',
                error:'#8250df'};
const BAND = {warn:'rgba(212,167,44,0.15)', fail:'rgba(207,34,46,0.15)'};
function el(tag, cls, text){const e=document.createElement(tag); if(cls) e.className=cls;
  if(text!==undefined) e.textContent=text; return e;}
function fmt(v, unit){return v===null||v===undefined ? '-' : (+v.toPrecision(4))+(unit||'');}
function extent(c){
  const ys=[...c.y, ...c.groups.flatMap(g=>g.y)].filter(v=>v!==null);
  c.bands.forEach(b=>{if(b.low!==null) ys.push(b.low); if(b.high!==null) ys.push(b.high);});
  let lo=Math.min(...ys, 0), hi=Math.max(...ys, 1);
  const pad=(hi-lo)*0.08||1; return [lo-pad, hi+pad];}
function draw(c, node){
  const [lo,hi]=extent(c);
  const traces=c.groups.map(g=>({x:g.x, y:g.y, mode:'lines', name:g.name,
    line:{width:1}, hoverinfo:'x+y+name'}));
  traces.push({x:c.x, y:c.y, mode:'lines+markers', name:c.check, line:{color:'#57606a'},
    marker:{size:7, color:c.status.map(s=>COLORS[s]||'#000')},
    text:c.status, hovertemplate:'%{x}<br>%{y}'+(c.unit||'')+' %{text}<extra></extra>'});
  if(c.baseline.some(v=>v!==null)) traces.push({x:c.x, y:c.baseline, mode:'lines',
    name:'baseline', line:{dash:'dot', color:'#0969da', width:1}});
  const shapes=c.bands.map(b=>({type:'rect', xref:'paper', x0:0, x1:1, yref:'y',
    y0:b.low===null?lo:b.low, y1:b.high===null?hi:b.high, fillcolor:BAND[b.level],
    line:{width:0}, layer:'below'}));
  const legend=c.groups.length>0;
  Plotly.newPlot(node, traces, {margin:{l:48,r:8,t:legend?36:8,b:40}, shapes:shapes,
    yaxis:{range:[lo,hi], ticksuffix:c.unit||''}, showlegend:legend,
    legend:{orientation:'h', font:{size:10}, x:0, y:1, yanchor:'bottom'}},
    {displayModeBar:false, responsive:true});}
const cards=[];
const main=document.querySelector('main');
DATA.checks.forEach(c=>{
  const card=el('section','card'); card.dataset.status=c.latest_status;
  card.dataset.owner=c.owner||''; card.dataset.tags=JSON.stringify(c.tags);
  const h=el('h2'); const badge=el('span','badge',c.latest_status);
  badge.style.background=COLORS[c.latest_status]||'#000';
  h.append(badge, ' ', el('span','',c.spec+' / '+c.check)); card.append(h);
  const change=c.latest_change===null?'':' · change '+(c.latest_change>0?'+':'')+
    (+c.latest_change.toFixed(1))+'%';
  card.append(el('div','meta','latest '+fmt(c.latest,c.unit)+change+' · '+(c.threshold||'')+
    (c.owner?' · '+c.owner:'')+(c.tags.length?' · '+c.tags.join(', '):'')));
  const chart=el('div','chart'); card.append(chart); main.append(card);
  cards.push([c, chart]);});
function fill(select, values){[...new Set(values)].filter(v=>v).sort().forEach(v=>{
  const o=el('option','',v); o.value=v; select.append(o);});}
const fTag=document.getElementById('f-tag'), fOwner=document.getElementById('f-owner'),
  fStatus=document.getElementById('f-status');
fill(fTag, DATA.checks.flatMap(c=>c.tags)); fill(fOwner, DATA.checks.map(c=>c.owner));
function applyFilters(){cards.forEach(([c, chart])=>{const card=chart.parentNode;
  const show=(!fTag.value||c.tags.includes(fTag.value))&&(!fOwner.value||c.owner===fOwner.value)
    &&(!fStatus.value||c.latest_status===fStatus.value);
  card.classList.toggle('hidden', !show);});}
[fTag,fOwner,fStatus].forEach(s=>s.addEventListener('change', applyFilters));
let drawn=0;
const byNode=new Map(cards.map(([c, chart])=>[chart, c]));
const observer=new IntersectionObserver(entries=>entries.forEach(e=>{
  if(!e.isIntersecting) return; observer.unobserve(e.target);
  draw(byNode.get(e.target), e.target); drawn++;
  document.body.dataset.rendered=String(drawn);}), {rootMargin:'600px'});
cards.forEach(([, chart])=>observer.observe(chart));
"""


@dataclass(frozen=True, slots=True)
class HtmlReport:
    path: Path
    checks: int
    bytes: int
    seconds: float


def _plotly_js() -> str:
    import importlib.resources

    try:
        source = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
        return source.read_text(encoding="utf-8").replace("</script", "<\\/script")
    except (ModuleNotFoundError, FileNotFoundError) as e:
        raise UsageError("qrunner report html needs the plotly package (pip install plotly)") from e


def render_html(trends: list[CheckSeries], *, days: int, generated: datetime) -> str:
    """The report as one HTML document."""
    data = trends_json(trends, generated=generated, days=days)
    statuses = "".join(
        f'<option value="{s}">{s}</option>' for s in ("pass", "no_data", "warn", "fail", "error")
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>qrunner trends</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>qrunner trends</h1><span class=meta>last {days} days · generated "
        f"{generated:%Y-%m-%d %H:%M} UTC</span>"
        '<label>tag <select id="f-tag"><option value="">all</option></select></label>'
        '<label>owner <select id="f-owner"><option value="">all</option></select></label>'
        f'<label>status <select id="f-status"><option value="">all</option>{statuses}'
        "</select></label></header><main></main>"
        f'<script type="application/json" id="qrunner-data">{data}</script>'
        f"<script>{_plotly_js()}</script><script>{_JS}</script></body></html>\n"
    )


def write_html_report(
    history: Path, out: Path, *, days: int = 90, now: datetime | None = None
) -> HtmlReport:
    """Write the trend report of the store ``history`` to ``out``."""
    from qrunner.reports.atomic import write_atomic

    started = time.monotonic()
    if not data_files(history):
        raise UsageError(f"no history under {history} (record runs with qrunner run --history)")
    moment = now or datetime.now(UTC)
    trends = read_trends(history, days=days, today=moment.date())
    text = render_html(trends, days=days, generated=moment)
    try:
        write_atomic(out, text)
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror}") from e
    return HtmlReport(out, len(trends), len(text.encode()), round(time.monotonic() - started, 3))
