// The demo's Train panel: recordings (dropped files or the microphone) → `trainInBrowser` in this page → a model
// that plays in the demo's DDSPNode while it trains (swapped in every few steps, with the node's crossfade) → a
// model file to download. The trainer and tfjs load only when training starts (a chunk of their own), so the demo
// opens as fast without them.
//
// Uses only the package's public API: `ddsp-stream/train/web` plus tfjs-core and its WebGL backend, as a user's page
// would import them.
import type { WebModelSnapshot, WebTrainProgress, WebTrainRun } from 'ddsp-stream/train/web';
import { $ } from './dom';

/** What the demo gives the panel. */
export interface TrainPanelHost {
  readonly context: AudioContext;
  /** Plays a model file in the demo's node (creating it if needed); `label` names it in the model list. */
  useModel(modelFile: ArrayBuffer, label: string): Promise<void>;
  setStatus(text: string, kind?: 'info' | 'ok' | 'error'): void;
  describeError(e: unknown): string;
}

/** A way to train, as the `key=value` overrides `ddsp-stream train` takes (shown to the user, editable). */
interface Preset {
  id: string;
  label: string;
  overrides: string[];
  /** Steps between the models swapped into the playing node. */
  playEvery: number;
}

/**
 * The presets. "sketch" trains a small model at 16 kHz that is playable after a few hundred steps; "bundled" is
 * the size and step count of the bundled models (hidden 256, 64 harmonics, 48 kHz).
 */
const PRESETS: readonly Preset[] = [
  {
    id: 'sketch',
    label: 'Sketch: small model at 16 kHz, 400 steps',
    overrides: [
      'sample_rate=16000', '+synth.dag.irreverb.config.sr=16000', 'model.estimator.hidden_size=64',
      'synth.dag.harmonic.config.n_harmonics=32', 'batch_size=8', 'model.lr=1e-3', 'trainer.max_steps=400',
    ],
    playEvery: 25,
  },
  {
    id: 'bundled',
    label: 'Bundled size: hidden 256, 64 harmonics, 48 kHz, 3000 steps',
    overrides: ['model.estimator.hidden_size=256', 'synth.dag.harmonic.config.n_harmonics=64', 'trainer.max_steps=3000'],
    playEvery: 100,
  },
];

/** A recording to train on. */
interface Take {
  name: string;
  samples: Float32Array;
  sampleRate: number;
}

/** What the page exposes on `window.ddspTrain` (console and the demo's browser test). */
export interface TrainHandle {
  readonly state: 'idle' | 'preparing' | 'training' | 'done' | 'stopped' | 'error';
  /** Total loss of every step so far. */
  readonly losses: readonly number[];
  /** The models swapped into the node: step and validation spectral loss. */
  readonly played: readonly { step: number; spec: number }[];
  readonly takes: readonly string[];
  readonly backend: string;
}

declare global {
  interface Window {
    ddspTrain: TrainHandle;
  }
}

/** Wires the Train panel of index.html to `host`. */
export function mountTrainPanel(host: TrainPanelHost): void {
  const files = $<HTMLInputElement>('train-files');
  const drop = $('train-drop');
  const recordButton = $<HTMLButtonElement>('train-record');
  const takeList = $('train-takes');
  const presetSelect = $<HTMLSelectElement>('train-preset');
  const overridesInput = $<HTMLInputElement>('train-overrides');
  const commandLine = $('train-command');
  const playEveryInput = $<HTMLInputElement>('train-play-every');
  const startButton = $<HTMLButtonElement>('train-start');
  const stopButton = $<HTMLButtonElement>('train-stop');
  const downloadButton = $<HTMLButtonElement>('train-download');
  const progressLine = $('train-progress');
  const curve = $<HTMLCanvasElement>('train-curve');

  const takes: Take[] = [];
  const losses: number[] = [];
  const played: { step: number; spec: number }[] = [];
  let state: TrainHandle['state'] = 'idle';
  let backend = '';
  let run: WebTrainRun | null = null;
  let abort: AbortController | null = null;
  /** The latest model file (a snapshot while training, the result after). */
  let latest: { bytes: Uint8Array<ArrayBuffer>; step: number } | null = null;
  let recorder: MediaRecorder | null = null;

  window.ddspTrain = {
    get state() { return state; },
    losses, played,
    get takes() { return takes.map((t) => t.name); },
    get backend() { return backend; },
  };

  // ------------------------------------------------------------------------------------------------------------
  // Recordings

  function showTakes(): void {
    takeList.replaceChildren(...takes.map((t, i) => {
      const li = document.createElement('li');
      li.textContent = `${t.name} · ${(t.samples.length / t.sampleRate).toFixed(1)} s `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = '×';
      remove.title = `Remove ${t.name}`;
      remove.addEventListener('click', () => { takes.splice(i, 1); showTakes(); });
      li.append(remove);
      return li;
    }));
    const seconds = takes.reduce((s, t) => s + t.samples.length / t.sampleRate, 0);
    startButton.disabled = state === 'preparing' || state === 'training' || takes.length === 0;
    startButton.title = takes.length === 0 ? 'Add a recording first' : `${seconds.toFixed(0)} s of audio`;
  }

  /** Decodes `bytes` to mono (the channels' mean) and adds it. */
  async function addTake(bytes: ArrayBuffer, name: string): Promise<void> {
    let buf: AudioBuffer;
    try {
      buf = await host.context.decodeAudioData(bytes);
    } catch (e) {
      host.setStatus(`Could not decode “${name}” as audio: ${host.describeError(e)}`, 'error');
      return;
    }
    const mono = new Float32Array(buf.length);
    for (let c = 0; c < buf.numberOfChannels; c++) {
      const x = buf.getChannelData(c);
      for (let i = 0; i < x.length; i++) mono[i] += x[i] / buf.numberOfChannels;
    }
    takes.push({ name, samples: mono, sampleRate: buf.sampleRate });
    showTakes();
    host.setStatus(`Added “${name}” (${buf.duration.toFixed(1)} s) to the training audio.`, 'ok');
  }

  async function addFiles(list: FileList | null): Promise<void> {
    for (const f of Array.from(list ?? [])) await addTake(await f.arrayBuffer(), f.name);
  }
  files.addEventListener('change', () => { void addFiles(files.files).then(() => { files.value = ''; }); });
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    void addFiles(ev.dataTransfer?.files ?? null);
  });

  recordButton.addEventListener('click', async () => {
    if (recorder !== null) { recorder.stop(); return; }
    if (navigator.mediaDevices?.getUserMedia === undefined || typeof MediaRecorder === 'undefined') {
      host.setStatus('This browser cannot record here (a secure context with MediaRecorder is needed).', 'error');
      return;
    }
    let stream: MediaStream;
    try {
      // the raw signal: the trainer wants the instrument as it sounds, not a voice-call cleanup of it
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (e) {
      host.setStatus(`Microphone unavailable: ${host.describeError(e)}`, 'error');
      return;
    }
    const chunks: Blob[] = [];
    const rec = new MediaRecorder(stream);
    recorder = rec;
    const started = performance.now();
    rec.ondataavailable = (ev) => chunks.push(ev.data);
    rec.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      recorder = null;
      recordButton.textContent = 'Record';
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      void new Blob(chunks, { type: rec.mimeType }).arrayBuffer()
        .then((b) => addTake(b, `recording ${takes.length + 1} (${seconds} s)`));
    };
    rec.start();
    recordButton.textContent = 'Stop recording';
    host.setStatus('Recording: play your instrument alone, a minute or more; press Stop recording to end.', 'info');
  });

  // ------------------------------------------------------------------------------------------------------------
  // Preset and overrides

  for (const p of PRESETS) presetSelect.add(new Option(p.label, p.id));
  function applyPreset(): void {
    const p = PRESETS.find((q) => q.id === presetSelect.value) ?? PRESETS[0];
    overridesInput.value = p.overrides.join(' ');
    playEveryInput.value = String(p.playEvery);
    showCommand();
  }
  function overrides(): string[] {
    return overridesInput.value.trim().split(/\s+/).filter((s) => s !== '');
  }
  function showCommand(): void {
    commandLine.textContent = `npx ddsp-stream train name=mine data.raw_dir=YOUR_AUDIO_FOLDER ${overrides().join(' ')}`;
  }
  presetSelect.addEventListener('change', applyPreset);
  overridesInput.addEventListener('input', showCommand);
  applyPreset();

  // ------------------------------------------------------------------------------------------------------------
  // Training

  function setState(s: TrainHandle['state']): void {
    state = s;
    const busy = s === 'preparing' || s === 'training';
    stopButton.disabled = !busy;
    presetSelect.disabled = busy;
    overridesInput.disabled = busy;
    recordButton.disabled = busy;
    downloadButton.disabled = latest === null;
    showTakes();
  }

  async function play(s: WebModelSnapshot, why: string): Promise<void> {
    latest = { bytes: s.modelFile, step: s.step };
    downloadButton.disabled = false;
    const spec = s.metrics['val_0/spec'] ?? NaN;
    played.push({ step: s.step, spec });
    drawCurve();
    // a copy: the node may transfer what it is given
    await host.useModel(s.modelFile.slice().buffer, `trained · step ${s.step}`);
    host.setStatus(`Playing the model after ${s.step} steps (${why}${Number.isFinite(spec) ? `, validation spectral loss ${spec.toFixed(3)}` : ''}).`, 'ok');
  }

  function onProgress(p: WebTrainProgress): void {
    if (p.phase === 'prepare') {
      progressLine.textContent = `Preparing: ${p.prepared} of ${p.recordings} recordings sliced and analysed…`;
      return;
    }
    if (state !== 'training') setState('training');
    losses.push(p.loss);
    const eta = Number.isFinite(p.etaSeconds) ? ` · ${formatSeconds(p.etaSeconds)} left` : '';
    const spec = p.metrics['val_0/spec'];
    progressLine.textContent =
      `Step ${p.step}${p.totalSteps > 0 ? ` of ${p.totalSteps}` : ''} · loss ${p.loss.toFixed(3)}` +
      (spec !== undefined ? ` · validation spectral loss ${spec.toFixed(3)}` : '') +
      (Number.isFinite(p.secondsPerStep) ? ` · ${p.secondsPerStep.toFixed(2)} s/step` : '') + eta;
    if (losses.length % 5 === 0) drawCurve();
  }

  startButton.addEventListener('click', async () => {
    if (takes.length === 0) return;
    const every = Number(playEveryInput.value);
    if (!(Number.isInteger(every) && every > 0)) {
      host.setStatus(`“Play every” must be a whole number of steps, got “${playEveryInput.value}”.`, 'error');
      return;
    }
    losses.length = 0;
    played.length = 0;
    latest = null;
    drawCurve();
    setState('preparing');
    host.setStatus('Loading the trainer (tfjs, WebGL)…', 'info');
    try {
      const [{ trainInBrowser }] = await Promise.all([
        import('ddsp-stream/train/web'),
        import('@tensorflow/tfjs-backend-webgl'),
        import('@tensorflow/tfjs-backend-cpu'),
      ]);
      abort = new AbortController();
      let swapping = Promise.resolve();
      run = trainInBrowser({
        audio: takes.map((t) => ({ samples: t.samples, sampleRate: t.sampleRate })),
        overrides: overrides(),
        signal: abort.signal,
        onProgress,
        modelEvery: every,
        // one swap at a time, in order: a slow swap never reorders the models
        onModel: (s) => { swapping = swapping.then(() => play(s, `every ${every} steps`)); },
      });
      host.setStatus('Preparing the recordings (slicing, pitch, loudness)…', 'info');
      const r = await run;
      await swapping;
      backend = r.backend;
      losses.splice(0, losses.length, ...r.losses);
      await play({ model: r.model, modelFile: r.modelFile, step: r.step, epoch: r.epoch, metrics: r.metrics }, r.stopReason);
      setState(r.stopReason === 'interrupted' ? 'stopped' : 'done');
      progressLine.textContent += ` · ${r.stopReason} on ${r.backend} (${r.secondsPerStep.toFixed(2)} s/step)`;
    } catch (e) {
      setState('error');
      host.setStatus(`Training failed: ${host.describeError(e)}`, 'error');
    } finally {
      run = null;
      abort = null;
      drawCurve();
    }
  });

  stopButton.addEventListener('click', () => {
    abort?.abort();
    host.setStatus('Stopping at the next step…', 'info');
  });

  downloadButton.addEventListener('click', () => {
    if (latest === null) return;
    const url = URL.createObjectURL(new Blob([latest.bytes], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `trained-step${latest.step}.onnx`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  // ------------------------------------------------------------------------------------------------------------
  // Loss curve: the step losses (thin) and their running mean (thick) on a log scale, the models played as dots

  function drawCurve(): void {
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = Math.max(1, Math.round(curve.clientWidth * dpr));
    const h = Math.max(1, Math.round(curve.clientHeight * dpr));
    if (curve.width !== w || curve.height !== h) { curve.width = w; curve.height = h; }
    const g = curve.getContext('2d');
    if (g === null) return;
    g.clearRect(0, 0, w, h);
    const finite = losses.filter((v) => Number.isFinite(v) && v > 0);
    const specs = played.map((p) => p.spec).filter((v) => Number.isFinite(v) && v > 0);
    const all = [...finite, ...specs];
    g.fillStyle = '#6b6880';
    g.font = `${11 * dpr}px system-ui, sans-serif`;
    if (all.length === 0) {
      g.fillText('the loss curve appears here once training runs', 8 * dpr, h / 2);
      return;
    }
    const lo = Math.log(Math.min(...all));
    const hi = Math.log(Math.max(...all));
    const span = Math.max(hi - lo, 1e-6);
    const pad = 6 * dpr;
    const steps = Math.max(losses.length, ...played.map((p) => p.step), 1);
    const x = (step: number) => pad + ((w - 2 * pad) * step) / steps;
    const y = (v: number) => h - pad - ((h - 2 * pad) * (Math.log(v) - lo)) / span;
    g.strokeStyle = '#cfc6ee';
    g.lineWidth = dpr;
    g.beginPath();
    losses.forEach((v, i) => { if (v > 0) g.lineTo(x(i + 1), y(v)); });
    g.stroke();
    g.strokeStyle = '#6b3fd4';
    g.lineWidth = 2 * dpr;
    g.beginPath();
    let mean = NaN;
    losses.forEach((v, i) => {
      if (!(v > 0)) return;
      mean = Number.isNaN(mean) ? v : 0.9 * mean + 0.1 * v;
      g.lineTo(x(i + 1), y(mean));
    });
    g.stroke();
    g.fillStyle = '#1f7a4d';
    for (const p of played) {
      if (!(p.spec > 0)) continue;
      g.beginPath();
      g.arc(x(p.step), y(p.spec), 3.5 * dpr, 0, 2 * Math.PI);
      g.fill();
    }
    g.fillStyle = '#6b6880';
    g.fillText(`loss ${Math.exp(hi).toPrecision(3)}`, pad, pad + 10 * dpr);
    g.fillText(`${Math.exp(lo).toPrecision(3)}`, pad, h - pad - 2 * dpr);
    g.fillText(`step ${steps}`, w - pad - 60 * dpr, h - pad - 2 * dpr);
  }

  showTakes();
  setState('idle');
  drawCurve();
}

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
