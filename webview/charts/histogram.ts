/** The statistics histogram (d3, SVG), colours from the VS Code theme. */
import * as d3 from 'd3';

export function histogram(container: HTMLElement, hist: { min: number; max: number; counts: number[] }, width = 520, height = 180): void {
  const margin = { top: 8, right: 12, bottom: 28, left: 52 };
  const w = width - margin.left - margin.right;
  const hgt = height - margin.top - margin.bottom;
  const n = hist.counts.length;
  const binWidth = n ? (hist.max - hist.min) / n : 0;
  const x = d3.scaleLinear().domain(hist.max > hist.min ? [hist.min, hist.max] : [hist.min - 0.5, hist.max + 0.5]).range([0, w]);
  const yMax = d3.max(hist.counts) ?? 1;
  const y = d3.scaleLinear().domain([0, Math.max(1, yMax)]).nice().range([hgt, 0]);
  const svg = d3.select(container).append('svg')
    .attr('class', 'histogram').attr('width', width).attr('height', height).attr('role', 'img')
    .attr('aria-label', `histogram of ${n} bins from ${hist.min} to ${hist.max}`);
  const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  g.selectAll('rect').data(hist.counts).join('rect')
    .attr('class', 'bar')
    .attr('x', (_, i) => (hist.max > hist.min ? x(hist.min + i * binWidth) : 0))
    .attr('width', () => Math.max(1, hist.max > hist.min ? w / n - 1 : w))
    .attr('y', (d) => y(d)).attr('height', (d) => hgt - y(d))
    .append('title').text((d, i) => `[${fmt(hist.min + i * binWidth)}, ${fmt(hist.min + (i + 1) * binWidth)}): ${d}`);
  g.append('g').attr('class', 'axis').attr('transform', `translate(0,${hgt})`).call(d3.axisBottom(x).ticks(6).tickFormat((v) => fmt(Number(v))));
  // counts are whole numbers: no 200m ticks when every bin holds one element
  g.append('g').attr('class', 'axis').call(d3.axisLeft(y).tickValues(y.ticks(4).filter((t) => Number.isInteger(t))).tickFormat(d3.format('~s')));
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(+v.toPrecision(4));
}
