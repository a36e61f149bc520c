/** A 2D slice as a heatmap: canvas cells, a d3 colour scale (diverging around 0 when values have both signs), a legend. */
import * as d3 from 'd3';

export function heatmap(container: HTMLElement, rows: number, cols: number, values: ReadonlyArray<number | string>): void {
  const nums = values.map((v) => (typeof v === 'number' ? v : NaN));
  const finite = nums.filter((v) => Number.isFinite(v));
  const lo = finite.length ? d3.min(finite) ?? 0 : 0;
  const hi = finite.length ? d3.max(finite) ?? 0 : 0;
  const diverging = lo < 0 && hi > 0;
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const color = diverging
    ? d3.scaleDiverging(d3.interpolateRdBu).domain([m, 0, -m])
    : d3.scaleSequential(d3.interpolateViridis).domain([lo, hi > lo ? hi : lo + 1]);
  const cell = Math.max(2, Math.min(24, Math.floor(640 / Math.max(cols, 1)), Math.floor(480 / Math.max(rows, 1))));
  const canvas = document.createElement('canvas');
  canvas.className = 'heatmap';
  canvas.width = cols * cell;
  canvas.height = rows * cell;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `heatmap ${rows}×${cols}, values ${lo} to ${hi}`);
  const ctx = canvas.getContext('2d');
  if (ctx) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = nums[r * cols + c];
        ctx.fillStyle = Number.isFinite(v) ? String(color(v)) : v !== v ? '#ff00ff' : '#000000';
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
    }
  }
  canvas.addEventListener('mousemove', (e) => {
    const c = Math.floor(e.offsetX / cell);
    const r = Math.floor(e.offsetY / cell);
    const v = values[r * cols + c];
    canvas.title = v === undefined ? '' : `[${r}, ${c}] = ${v}`;
  });
  const wrap = document.createElement('div');
  wrap.className = 'heatmap-wrap';
  wrap.appendChild(canvas);
  // legend
  const lw = 200;
  const svg = d3.select(wrap).append('svg').attr('class', 'legend').attr('width', lw + 60).attr('height', 40);
  const id = `grad${Math.random().toString(36).slice(2)}`;
  const grad = svg.append('defs').append('linearGradient').attr('id', id);
  const dom: [number, number] = diverging ? [-m, m] : [lo, hi > lo ? hi : lo + 1];
  for (let i = 0; i <= 10; i++) {
    const v = dom[0] + ((dom[1] - dom[0]) * i) / 10;
    grad.append('stop').attr('offset', `${i * 10}%`).attr('stop-color', String(color(v)));
  }
  svg.append('rect').attr('x', 30).attr('y', 4).attr('width', lw).attr('height', 12).attr('fill', `url(#${id})`);
  const x = d3.scaleLinear().domain(dom).range([30, 30 + lw]);
  svg.append('g').attr('class', 'axis').attr('transform', 'translate(0,18)').call(d3.axisBottom(x).ticks(4).tickFormat(d3.format('.3~g')));
  container.appendChild(wrap);
}
