// Output of a run: the table on stdout, the JSON under bench/results/ (a timestamped
// file and latest.json) and an SVG plot drawn by hand (no plotting dependency).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuSplit } from './proc.ts';

/** One line of the table. `ratio` is value ÷ baseline, both measured in the same run. */
export interface Row {
  section: string;
  metric: string;
  unit: string;
  value: number | undefined;
  baseline?: number;
  /** Which way is good, so a reader knows whether 0.5× is a loss or a win. */
  better?: 'higher' | 'lower';
}

export interface TableRow extends Row {
  ratio?: number;
}

export function withRatios(rows: Row[]): TableRow[] {
  return rows.map((r) => ({
    ...r,
    ratio: r.value !== undefined && r.baseline !== undefined && r.baseline !== 0 ? r.value / r.baseline : undefined,
  }));
}

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 100) return v.toFixed(1);
  if (Math.abs(v) >= 10) return v.toFixed(2);
  return v.toFixed(3);
}

/** A plain-text table: each section's title on a line of its own, then its rows, columns aligned across sections. */
export function formatTable(rows: TableRow[]): string {
  const cells = rows.map((r) => [
    r.metric,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline === undefined ? '' : `${fmt(r.baseline)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.ratio === undefined || !r.better ? '' : `${r.better} is better`,
  ]);
  const header = ['metric', 'value', 'baseline', 'ratio', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const right = new Set([1, 2, 3]);
  const line = (row: string[]) => `  ${row.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ')}`.trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w)))];
  rows.forEach((r, i) => {
    if (i === 0 || rows[i - 1].section !== r.section) out.push('', r.section);
    out.push(line(cells[i]));
  });
  return out.join('\n');
}

export function writeJson(dir: string, stamp: string, report: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const files = [join(dir, `${stamp}.json`), join(dir, 'latest.json')];
  for (const file of files) writeFileSync(file, text);
  return files;
}

// ---------------------------------------------------------------- SVG

export interface CdfSeries {
  label: string;
  /** [ms, fraction at or below]. */
  points: Array<[number, number]>;
  color: string;
  dashed: boolean;
}

export interface Bar {
  label: string;
  value: number;
  color: string;
  /** Shown after the value: this bar ÷ its baseline bar. */
  ratio?: number;
}

export interface BarGroup {
  title: string;
  unit: string;
  bars: Bar[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

/** Latency CDFs on a log-scaled x axis: the body and the tail of each distribution are both readable. */
function cdfPanel(series: CdfSeries[], x0: number, y0: number, w: number, h: number, title: string): string {
  const all = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  if (all.length === 0) return text(x0, y0 + 20, 'no latency data');
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const sx = (ms: number) => x0 + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * w;
  const sy = (f: number) => y0 + h - f * h;
  const out: string[] = [text(x0, y0 - 12, title, 'font-weight="bold"')];
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi) break;
      const x = sx(v);
      out.push(`<line x1="${x.toFixed(1)}" y1="${y0}" x2="${x.toFixed(1)}" y2="${y0 + h}" stroke="#ddd"/>`);
      out.push(text(x, y0 + h + 16, v >= 1 ? String(v) : v.toPrecision(1), 'text-anchor="middle" font-size="11"'));
    }
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    const y = sy(f);
    out.push(`<line x1="${x0}" y1="${y.toFixed(1)}" x2="${x0 + w}" y2="${y.toFixed(1)}" stroke="${f === 0.5 || f === 0.99 ? '#bbb' : '#eee'}"/>`);
    out.push(text(x0 - 6, y + 4, f === 0.99 ? 'p99' : f === 0.5 ? 'p50' : String(f), 'text-anchor="end" font-size="11"'));
  }
  out.push(text(x0 + w / 2, y0 + h + 34, 'latency (ms, log scale)', 'text-anchor="middle" font-size="12"'));
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  series.forEach((s, i) => {
    const d = s.points.map(([ms, f], j) => `${j === 0 ? 'M' : 'L'}${sx(ms).toFixed(1)},${sy(f).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    // The legend goes under the axis: inside, it would cover the curves' tails.
    const ly = y0 + h + 58 + i * 16;
    out.push(`<line x1="${x0}" y1="${ly - 4}" x2="${x0 + 28}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(text(x0 + 34, ly, s.label, 'font-size="11"'));
  });
  return out.join('\n');
}

/** Horizontal bars, one scale per group (workflows/s and requests/s do not share an axis). */
function barPanel(group: BarGroup, x0: number, y0: number, w: number): { svg: string; height: number } {
  const barH = 20;
  const gap = 8;
  const labelW = 190;
  const max = Math.max(...group.bars.map((b) => b.value), 1e-9);
  const out: string[] = [text(x0, y0, `${group.title} (${group.unit})`, 'font-weight="bold"')];
  group.bars.forEach((b, i) => {
    const y = y0 + 12 + i * (barH + gap);
    const bw = ((w - labelW - 110) * b.value) / max;
    out.push(text(x0 + labelW - 6, y + barH / 2 + 4, b.label, 'text-anchor="end" font-size="11"'));
    out.push(`<rect x="${x0 + labelW}" y="${y}" width="${Math.max(1, bw).toFixed(1)}" height="${barH}" fill="${b.color}"/>`);
    out.push(text(x0 + labelW + bw + 6, y + barH / 2 + 4, `${fmt(b.value)}${b.ratio === undefined ? '' : ` (${b.ratio.toFixed(2)}×)`}`, 'font-size="11"'));
  });
  return { svg: out.join('\n'), height: 12 + group.bars.length * (barH + gap) + 24 };
}

export function renderSvg(opts: { title: string; subtitle: string; cdf: CdfSeries[]; bars: BarGroup[] }): string {
  const width = 1100;
  const cdfW = 520;
  const cdfH = 330;
  const parts: string[] = [];
  let barY = 70;
  for (const group of opts.bars) {
    const { svg, height } = barPanel(group, 660, barY, 420);
    parts.push(svg);
    barY += height;
  }
  const height = Math.max(80 + cdfH + 70 + opts.cdf.length * 16, barY + 20);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(20, 24, opts.title, 'font-size="16" font-weight="bold"'),
    text(20, 42, opts.subtitle, 'font-size="11" fill="#555"'),
    cdfPanel(opts.cdf, 70, 80, cdfW, cdfH, 'API latency, 50 concurrent clients (CDF; dashed = bare Koa + pg baseline)'),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** A phase's CPU per item (`what`, e.g. "CPU per reminder fired"), all processes and the three that do the work, against the baseline's. */
export function cpuRows(section: string, what: string, value: CpuSplit | undefined, baseline: CpuSplit | undefined): Row[] {
  if (!value || !baseline) return [];
  const row = (metric: string, k: keyof CpuSplit): Row => ({ section, metric, unit: 'ms', value: value[k], baseline: baseline[k], better: 'lower' });
  return [
    row(`${what}, all processes`, 'total'),
    row('  of which the Temporal server', 'temporal'),
    row('  of which the worker', 'worker'),
    row('  of which PostgreSQL', 'postgres'),
    row('  of which the API and its client (this process)', 'bench'),
    row('  besides: taken by the host (steal time)', 'stolen'),
  ];
}
