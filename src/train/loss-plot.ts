/**
 * The loss curves of a run as an RGB image (the trainer writes it as `loss.png` beside the event file), so anyone
 * can see whether a run learns without TensorBoard: the training loss of every step and the validation loss,
 * against the step (top) and against wall-clock time (bottom), on a logarithmic loss axis when every value is
 * positive. Pure TypeScript (no canvas, no Node APIs): lines, markers and a 3×5 bitmap font drawn into a byte array.
 */

/** An RGB image: height × width × 3 bytes, row-major, top row first. */
export interface RgbImage { rgb: Uint8Array; width: number; height: number }

type Rgb = readonly [number, number, number];

/** The training curve's colour (matplotlib's tab:blue). */
export const TRAIN_COLOUR: readonly [number, number, number] = [31, 119, 180];
/** The validation curve's colour (tab:orange). */
export const VAL_COLOUR: readonly [number, number, number] = [255, 127, 14];
const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [228, 228, 228];

const WIDTH = 720;
const PANEL_HEIGHT = 260;
/** Space around each panel's plot area for tick labels, legend and axis name. */
const MARGIN = { left: 66, right: 18, top: 30, bottom: 34 };
/** Glyphs are drawn at this many pixels per font pixel. */
const SCALE = 2;

/** A curve: x (step or seconds), y (loss) of each point. */
interface Curve { x: number[]; y: number[] }

/**
 * One curve of a plot: named in the legend; `dense` curves (a value every step) are drawn as the mean of the points
 * in each pixel column, the others as a line through markers.
 */
export interface PlotSeries { name: string; colour: readonly [number, number, number]; dense: boolean; x: number[]; y: number[] }

/** A plot's panels, top to bottom: each names its x axis and holds its curves. */
export interface PlotPanel { xName: string; series: PlotSeries[] }

/** Draws `panels` one under another, losses on a logarithmic axis when every value is positive. */
export function plotLossCurves(panels: PlotPanel[]): RgbImage {
  const height = panels.length * PANEL_HEIGHT;
  const img: RgbImage = { rgb: new Uint8Array(WIDTH * height * 3).fill(255), width: WIDTH, height };
  panels.forEach((p, i) => drawPanel(img, i * PANEL_HEIGHT, p));
  return img;
}

/**
 * Records the training and validation losses of a run and plots them.
 */
export class LossCurves {
  private readonly train = { step: [] as number[], seconds: [] as number[], loss: [] as number[] };
  private readonly val = { step: [] as number[], seconds: [] as number[], loss: [] as number[] };

  /** @param valLabel the validation metric's name, shown in the legend (e.g. `val_0/spec`) */
  constructor(readonly valLabel: string) {}

  /** The training loss of the step that ended `seconds` after the run started. */
  addTrain(step: number, seconds: number, loss: number): void {
    this.train.step.push(step); this.train.seconds.push(seconds); this.train.loss.push(loss);
  }

  /** The validation loss at `step`, `seconds` after the run started. */
  addValidation(step: number, seconds: number, loss: number): void {
    this.val.step.push(step); this.val.seconds.push(seconds); this.val.loss.push(loss);
  }

  /** Both panels: losses against the step, and against wall-clock time. */
  plot(): RgbImage {
    const { train: t, val: v } = this;
    const maxSeconds = Math.max(0, ...t.seconds.slice(-1), ...v.seconds.slice(-1));
    const time = maxSeconds >= 7200 ? { unit: 3600, name: 'HOURS' } : maxSeconds >= 120 ? { unit: 60, name: 'MINUTES' } : { unit: 1, name: 'SECONDS' };
    const label = this.valLabel.toUpperCase();
    const panel = (xName: string, tx: number[], vx: number[]): PlotPanel => ({ xName, series: [
      { name: 'TRAIN LOSS', colour: TRAIN_COLOUR, dense: true, x: tx, y: t.loss },
      { name: label, colour: VAL_COLOUR, dense: false, x: vx, y: v.loss },
    ] });
    return plotLossCurves([
      panel('STEP', t.step, v.step),
      panel(`WALL-CLOCK ${time.name}`, t.seconds.map((s) => s / time.unit), v.seconds.map((s) => s / time.unit)),
    ]);
  }
}

/** One panel at rows [top, top + PANEL_HEIGHT): axes, grid, ticks, legend, the curves. */
function drawPanel(img: RgbImage, top: number, panel: PlotPanel): void {
  const { xName, series } = panel;
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = top + MARGIN.top;
  const y1 = top + PANEL_HEIGHT - MARGIN.bottom;

  const ys = series.flatMap((c) => c.y).filter(Number.isFinite);
  const xs = series.flatMap((c) => c.x).filter(Number.isFinite);
  const log = ys.length > 0 && ys.every((y) => y > 0);
  const f = log ? Math.log10 : (y: number) => y;
  let lo = ys.length ? f(ys.reduce((a, b) => Math.min(a, b))) : 0;
  let hi = ys.length ? f(ys.reduce((a, b) => Math.max(a, b))) : 1;
  if (hi - lo < 1e-9) { lo -= log ? 0.1 : Math.max(1e-3, Math.abs(lo) * 0.1); hi += log ? 0.1 : Math.max(1e-3, Math.abs(hi) * 0.1); }
  const pad = 0.05 * (hi - lo);
  lo -= pad; hi += pad;
  const xMin = xs.reduce((a, b) => Math.min(a, b), 0);
  let xMax = xs.reduce((a, b) => Math.max(a, b), -Infinity);
  if (!(xMax > xMin)) xMax = xMin + 1;
  const px = (x: number) => x0 + ((x - xMin) / (xMax - xMin)) * (x1 - x0);
  const py = (y: number) => y1 - ((f(y) - lo) / (hi - lo)) * (y1 - y0);

  // grid and tick labels
  for (const t of yTicks(lo, hi, log)) {
    const y = Math.round(py(t));
    hline(img, x0, x1, y, GRID);
    hline(img, x0 - 4, x0, y, INK);
    const s = tickText(t);
    text(img, x0 - 7 - textWidth(s), y - 2 * SCALE, s, INK);
  }
  for (const t of niceTicks(xMin, xMax, 6)) {
    const x = Math.round(px(t));
    vline(img, x, y0, y1, GRID);
    vline(img, x, y1, y1 + 4, INK);
    const s = tickText(t);
    text(img, x - Math.floor(textWidth(s) / 2), y1 + 8, s, INK);
  }
  vline(img, x0, y0, y1, INK);
  hline(img, x0, x1, y1, INK);
  text(img, x1 - textWidth(xName), y1 + 8 + 7 * SCALE, xName, INK);
  text(img, 4, top + 8, log ? 'LOSS (LOG)' : 'LOSS', INK);

  // legend
  let lx = x0 + 110;
  for (const { name, colour } of series) {
    for (let d = -1; d <= 1; d++) hline(img, lx, lx + 20, top + 13 + d, colour);
    text(img, lx + 26, top + 9, name, INK);
    lx += 26 + textWidth(name) + 28;
  }

  const plotted = (c: Curve, i: number) => Number.isFinite(c.x[i]) && Number.isFinite(c.y[i]) && (!log || c.y[i] > 0);
  for (const c of series) {
    if (c.dense) {
      // the mean (in the plotted scale) of the points that fall in each pixel column
      const cols: Array<[number, number]> = [];
      let col = NaN;
      let sum = 0;
      let n = 0;
      const flush = (): void => {
        if (n > 0) cols.push([col, y1 - ((sum / n - lo) / (hi - lo)) * (y1 - y0)]);
        sum = 0; n = 0;
      };
      for (let i = 0; i < c.x.length; i++) {
        if (!plotted(c, i)) continue;
        const cx = Math.round(px(c.x[i]));
        if (cx !== col) { flush(); col = cx; }
        sum += f(c.y[i]); n++;
      }
      flush();
      polyline(img, cols, c.colour, 1);
      continue;
    }
    const vp: Array<[number, number]> = [];
    for (let i = 0; i < c.x.length; i++) if (plotted(c, i)) vp.push([px(c.x[i]), py(c.y[i])]);
    polyline(img, vp, c.colour, 1);
    for (const [x, y] of vp) rect(img, Math.round(x) - 3, Math.round(y) - 3, 7, 7, c.colour);
  }
}

// ---------------------------------------------------------------- ticks

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi] with at most about `max` of them. */
function niceTicks(lo: number, hi: number, max: number): number[] {
  const raw = (hi - lo) / max;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + 1e-9 * step; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Loss-axis ticks in data units; `lo`, `hi` are in the plotted scale (log10 when `log`). */
function yTicks(lo: number, hi: number, log: boolean): number[] {
  if (!log) return niceTicks(lo, hi, 5);
  if (hi - lo >= 1) {
    const out: number[] = [];
    const mults = hi - lo <= 2 ? [1, 2, 5] : [1];
    for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) for (const m of mults) {
      const l = Math.log10(m) + k;
      if (l >= lo && l <= hi) out.push(Number((m * 10 ** k).toPrecision(6)));
    }
    return out;
  }
  return niceTicks(10 ** lo, 10 ** hi, 6).filter((t) => t > 0);
}

/** A short tick label: 0.5, 12, 2500, 1E-3, 1.5E5. */
function tickText(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e5)) {
    const [m, e] = v.toExponential().split('e');
    return `${Number(Number(m).toPrecision(2))}E${Number(e)}`;
  }
  return String(Number(v.toPrecision(4)));
}

// ---------------------------------------------------------------- drawing

function set(img: RgbImage, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const o = (y * img.width + x) * 3;
  img.rgb[o] = c[0]; img.rgb[o + 1] = c[1]; img.rgb[o + 2] = c[2];
}

function rect(img: RgbImage, x: number, y: number, w: number, h: number, c: Rgb): void {
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) set(img, x + i, y + j, c);
}

function hline(img: RgbImage, xa: number, xb: number, y: number, c: Rgb): void { rect(img, xa, y, xb - xa + 1, 1, c); }
function vline(img: RgbImage, x: number, ya: number, yb: number, c: Rgb): void { rect(img, x, ya, 1, yb - ya + 1, c); }

/** Straight segments between the points (Bresenham), `half` pixels either side of the line. */
function polyline(img: RgbImage, pts: Array<[number, number]>, c: Rgb, half: number): void {
  for (let i = 0; i < pts.length; i++) {
    let xa = Math.round(pts[i][0]);
    let ya = Math.round(pts[i][1]);
    const [xb, yb] = i + 1 < pts.length ? [Math.round(pts[i + 1][0]), Math.round(pts[i + 1][1])] : [xa, ya];
    const dx = Math.abs(xb - xa);
    const dy = -Math.abs(yb - ya);
    const sx = xa < xb ? 1 : -1;
    const sy = ya < yb ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      rect(img, xa - half, ya - half, 2 * half + 1, 2 * half + 1, c);
      if (xa === xb && ya === yb) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; xa += sx; }
      if (e2 <= dx) { err += dx; ya += sy; }
    }
  }
}

/** 3×5 glyphs, rows top to bottom; letters are drawn as capitals. */
const FONT: Record<string, string> = {
  0: '111101101101111', 1: '010110010010111', 2: '111001111100111', 3: '111001111001111', 4: '101101111001001',
  5: '111100111001111', 6: '111100111101111', 7: '111001001010010', 8: '111101111101111', 9: '111101111001111',
  '.': '000000000000010', '-': '000000111000000', '+': '000010111010000', ':': '000010000010000', '/': '001001010100100',
  _: '000000000000111', '(': '010100100100010', ')': '010001001001010', ' ': '000000000000000',
  A: '010101111101101', B: '110101110101110', C: '011100100100011', D: '110101101101110', E: '111100110100111',
  F: '111100110100100', G: '011100101101011', H: '101101111101101', I: '111010010010111', J: '001001001101010',
  K: '101101110101101', L: '100100100100111', M: '101111111101101', N: '110101101101101', O: '010101101101010',
  P: '110101110100100', Q: '010101101110011', R: '110101110101101', S: '011100010001110', T: '111010010010010',
  U: '101101101101111', V: '101101101101010', W: '101101111111101', X: '101101010101101', Y: '101101010010010',
  Z: '111001010100111',
};
const UNKNOWN = '111101101101111';

function textWidth(s: string): number { return s.length * 4 * SCALE - SCALE; }

function text(img: RgbImage, x: number, y: number, s: string, c: Rgb): void {
  for (let k = 0; k < s.length; k++) {
    const g = FONT[s[k]] ?? UNKNOWN;
    for (let r = 0; r < 5; r++) for (let q = 0; q < 3; q++) {
      if (g[r * 3 + q] === '1') rect(img, x + (4 * k + q) * SCALE, y + r * SCALE, SCALE, SCALE, c);
    }
  }
}
