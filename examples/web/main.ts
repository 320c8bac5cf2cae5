// The ddsp-stream web demo: one DDSPNode, fed by the microphone, an audio file, or (notes mode) chords from an
// on-screen keyboard (multi-touch), the computer keys and Web MIDI (MPE included), played as the node's notes;
// four sliders bound to its AudioParams; its latency; a live spectrogram and oscilloscope; a Train panel
// (train-panel.ts) that trains a model in the page and plays it while it improves.
// Uses only the package's public API, exactly as a user's page would: `import { DDSPNode } from 'ddsp-stream'`.
//
// Audio graph:  source ─► inputBus ─┬─► inputAnalyser (level meter)
//                                   └─► DDSPNode ─► outputAnalyser ─► volume ─► destination
import { BUNDLED_MODELS, DDSPError, DDSPNode } from 'ddsp-stream';
import { mountTrainPanel } from './train-panel';
import { $ } from './dom';

type DemoNode = DDSPNode<AudioContext>;
type Source = 'keyboard' | 'mic' | 'file';
type ControlName = 'pitchShift' | 'harmonicMix' | 'noiseMix' | 'reverbMix';

/** A file the demo server lists (/models.json, /audio.json). */
interface Listed {
  name: string;
  file: string;
  url: string;
  bytes: number;
  /** Made for live input (the file's metadata `live` is 'true'; serve.mjs reads it): listed first for the microphone. */
  live?: boolean;
}

/** What the page exposes on `window.ddspDemo` for the console (and the demo's browser test). */
export interface DemoHandle {
  readonly context: AudioContext;
  readonly node: DemoNode | null;
  readonly inputAnalyser: AnalyserNode;
  readonly outputAnalyser: AnalyserNode;
  readonly source: Source;
  /** The keys held now (on screen, computer keys, MIDI), MIDI key numbers in the order they were pressed. */
  readonly notes: number[];
}

declare global {
  interface Window {
    ddspDemo: DemoHandle;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers

const statusEl = $('status');
function setStatus(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  statusEl.textContent = text;
  statusEl.className = `status ${kind}`;
}

function describeError(e: unknown): string {
  if (e instanceof DDSPError) return `${e.message} [${e.code}]`;
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---------------------------------------------------------------------------------------------------------------
// Audio graph

// 'interactive' asks the browser for its lowest-latency output buffer (the default too, said here on purpose):
// what a player hears is the node's latency plus the context's baseLatency and outputLatency (the meters).
const ctx = new AudioContext({ latencyHint: 'interactive' });
const inputBus = ctx.createGain();
const inputAnalyser = new AnalyserNode(ctx, { fftSize: 2048, smoothingTimeConstant: 0 });
const outputAnalyser = new AnalyserNode(ctx, {
  fftSize: 4096,
  smoothingTimeConstant: 0,
  minDecibels: -100,
  maxDecibels: -10,
});
const volume = new GainNode(ctx, { gain: 0.8 });
inputBus.connect(inputAnalyser);
outputAnalyser.connect(volume).connect(ctx.destination);

let node: DemoNode | null = null;
let source: Source = 'keyboard';
/** Serialises model loads and mode switches so they reach the node in order. */
let queue: Promise<void> = Promise.resolve();
function enqueue(job: () => Promise<void>): Promise<void> {
  queue = queue.then(job, job);
  return queue;
}

/** Resume the AudioContext on the first user gesture (autoplay policy). */
function resumeAudio(): void {
  if (ctx.state !== 'running') void ctx.resume();
}
document.addEventListener('pointerdown', resumeAudio, { capture: true });
document.addEventListener('keydown', resumeAudio, { capture: true });
ctx.addEventListener('statechange', () => {
  if (ctx.state === 'running' && statusEl.dataset.waitingForGesture === '1') {
    delete statusEl.dataset.waitingForGesture;
    setStatus(node !== null ? 'Audio running.' : 'Audio running — load a model to hear it.', 'ok');
  }
  updateMeters();
});

// ---------------------------------------------------------------------------------------------------------------
// Keyboard state (notes mode; the keyboard itself is further down)

/** Voices of the node: chords of up to this many notes, beyond it the engine steals the oldest. */
const VOICES = 8;
/** Keys on screen: C to the E an octave and a third above (17 keys). */
const N_KEYS = 17;
/** Computer keys (KeyboardEvent.code) for the 17 on-screen keys, left to right. */
const KEY_CODES = [
  'KeyA', 'KeyW', 'KeyS', 'KeyE', 'KeyD', 'KeyF', 'KeyT', 'KeyG', 'KeyY', 'KeyH', 'KeyU', 'KeyJ', 'KeyK', 'KeyO',
  'KeyL', 'KeyP', 'Semicolon',
];
const NOTE_NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];

interface Held {
  note: number;
  /** Who holds it: 'pointer:<id>', 'key:<code>', 'midi:<channel>'. */
  by: string;
}
/** Keys held, in the order they were pressed: what the keyboard shows. */
const held: Held[] = [];
let baseNote = 60; // C4

// ---------------------------------------------------------------------------------------------------------------
// Controls: sliders bound to the node's AudioParams

const CONTROL_FORMAT: Record<ControlName | 'volume' | 'note-level', (v: number) => string> = {
  pitchShift: (v) => `${v > 0 ? '+' : ''}${v} st`,
  harmonicMix: (v) => v.toFixed(2),
  noiseMix: (v) => v.toFixed(2),
  reverbMix: (v) => v.toFixed(2),
  volume: (v) => `${Math.round(v * 100)} %`,
  'note-level': (v) => `${Math.round(v * 100)} %`,
};
const CONTROLS: ControlName[] = ['pitchShift', 'harmonicMix', 'noiseMix', 'reverbMix'];
/** Smoothing time constant of slider moves, s. */
const SLIDER_TAU = 0.02;

function sliderValue(id: string): number {
  return Number($<HTMLInputElement>(id).value);
}

function bindSlider(id: ControlName | 'volume' | 'note-level', apply: (v: number) => void): void {
  const input = $<HTMLInputElement>(id);
  const out = $(`${id}-out`);
  const update = () => {
    const v = Number(input.value);
    out.textContent = CONTROL_FORMAT[id](v);
    apply(v);
  };
  input.addEventListener('input', update);
  update();
}

for (const name of CONTROLS) {
  bindSlider(name, (v) => node?.[name].setTargetAtTime(v, ctx.currentTime, SLIDER_TAU));
}
bindSlider('volume', (v) => volume.gain.setTargetAtTime(v, ctx.currentTime, SLIDER_TAU));
bindSlider('note-level', () => {}); // read at each key press (keyVelocity)

// ---------------------------------------------------------------------------------------------------------------
// Models

const modelSelect = $<HTMLSelectElement>('model-select');
/** The model list's entry of the Train panel's latest model, and that model's file. */
const TRAINED_KEY = 'trained';
let trainedModel: ArrayBuffer | null = null;
const modelFile = $<HTMLInputElement>('model-file');
const modelInfo = $('model-info');
/** The select's value of the model playing now ('' when none). */
let currentModelKey = '';

async function fetchList(url: string): Promise<Listed[]> {
  try {
    const r = await fetch(url);
    return r.ok ? ((await r.json()) as Listed[]) : [];
  } catch {
    return [];
  }
}

/**
 * Loads a model into the node (creating the node on the first load). A refused model leaves the node, and the
 * model it plays, as they were.
 */
function loadModel(model: string | ArrayBuffer, label: string, key: string): Promise<void> {
  return enqueue(async () => {
    setStatus(`Loading ${label}…`);
    try {
      if (node === null) {
        const created = await DDSPNode.create(ctx, {
          model,
          mode: source === 'keyboard' ? 'notes' : 'audio',
          pitchShift: sliderValue('pitchShift'),
          harmonicMix: sliderValue('harmonicMix'),
          noiseMix: sliderValue('noiseMix'),
          reverbMix: sliderValue('reverbMix'),
          voices: VOICES,
        });
        created.onerror = (ev) => setStatus(`The synthesizer stopped: ${describeError(ev.error)}`, 'error');
        inputBus.connect(created);
        created.connect(outputAnalyser);
        node = created;
      } else {
        await node.loadModel(model);
      }
      currentModelKey = key;
      const info = node.modelInfo;
      modelInfo.textContent =
        `${info.name ?? label} · trained at ${info.modelSampleRate / 1000} kHz · ` +
        `running at ${info.sampleRate / 1000} kHz`;
      updateMeters();
      const waiting = ctx.state !== 'running';
      if (waiting) statusEl.dataset.waitingForGesture = '1';
      setStatus(
        `Model “${label}” loaded.` + (waiting ? ' Click anywhere or press a key to start audio.' : ''),
        'ok',
      );
    } catch (e) {
      const reason =
        e instanceof DDSPError && e.code === 'MODEL_FORMAT'
          ? `“${label}” is not a ddsp-stream model file`
          : `Could not load “${label}”`;
      const still = node !== null && currentModelKey !== '' ? ' The previous model keeps playing.' : '';
      setStatus(`${reason}: ${describeError(e)}.${still}`, 'error');
    }
    modelSelect.value = currentModelKey;
  });
}

/** The models folder's listing (from /models.json). */
let listedModels: Listed[] = [];

/**
 * Fills the model picker: with the microphone as input, the models made for live input (metadata `live`) first;
 * otherwise in the folder's order. Keeps the selection and a loaded file's entry.
 */
function listModels(): void {
  const selected = modelSelect.value;
  const files = [...modelSelect.options].filter((o) => o.value.startsWith('file:'));
  const models = source === 'mic'
    ? [...listedModels.filter((m) => m.live === true), ...listedModels.filter((m) => m.live !== true)]
    : listedModels;
  modelSelect.replaceChildren();
  const none = new Option(models.length > 0 ? '— choose a model —' : '— no bundled models —', '');
  none.disabled = true;
  modelSelect.add(none);
  for (const m of models) {
    modelSelect.add(new Option(`${m.name}${m.live === true ? ' · live' : ''} (${(m.bytes / 1e6).toFixed(1)} MB)`, m.url));
  }
  for (const o of files) modelSelect.add(o);
  modelSelect.value = selected;
}

async function initModels(): Promise<void> {
  const models = await fetchList('/models.json');
  listedModels = models;
  listModels();
  modelSelect.value = '';
  // The package's default model (the first bundled one, the violin) when the folder has it.
  const first = models.find((m) => m.name === BUNDLED_MODELS[0]) ?? models[0];
  if (first !== undefined) {
    await loadModel(first.url, first.name, first.url);
  } else {
    setStatus('No bundled models found: load a model file (.onnx) to start.', 'info');
  }
}

modelSelect.addEventListener('change', () => {
  const opt = modelSelect.selectedOptions[0];
  if (opt === undefined || opt.value === '' || opt.value === currentModelKey) return;
  if (opt.value === TRAINED_KEY) {
    if (trainedModel !== null) void loadModel(trainedModel.slice(0), opt.text, TRAINED_KEY);
    return;
  }
  if (opt.value.startsWith('file:')) {
    modelSelect.value = currentModelKey; // a file is not kept: pick it again with the file input
    return;
  }
  void loadModel(opt.value, listedModels.find((m) => m.url === opt.value)?.name ?? opt.text, opt.value);
});

modelFile.addEventListener('change', async () => {
  const file = modelFile.files?.[0];
  modelFile.value = ''; // the same file can be chosen again
  if (file === undefined) return;
  const key = `file:${file.name}`;
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    setStatus(`Could not read “${file.name}”: ${describeError(e)}`, 'error');
    return;
  }
  if (![...modelSelect.options].some((o) => o.value === key)) modelSelect.add(new Option(`file: ${file.name}`, key));
  await loadModel(bytes, file.name, key);
  // drop the file's entry again when it was refused (and is not the playing model)
  if (currentModelKey !== key) [...modelSelect.options].find((o) => o.value === key)?.remove();
});

// ---------------------------------------------------------------------------------------------------------------
// Input sources

let micStream: MediaStream | null = null;
let micNode: MediaStreamAudioSourceNode | null = null;
let fileBuffer: AudioBuffer | null = null;
let filePlayer: AudioBufferSourceNode | null = null;
/** Name of the audio in fileBuffer, for the status line. */
let fileLabel = '';
const playButton = $<HTMLButtonElement>('audio-play');

function setMode(mode: 'audio' | 'notes'): Promise<void> {
  return enqueue(async () => {
    if (node !== null && node.mode !== mode) node.setMode(mode);
  });
}

function stopMic(): void {
  micNode?.disconnect();
  micStream?.getTracks().forEach((t) => t.stop());
  micNode = null;
  micStream = null;
}

function stopFile(): void {
  if (filePlayer !== null) {
    filePlayer.onended = null;
    filePlayer.stop();
    filePlayer.disconnect();
    filePlayer = null;
  }
  playButton.textContent = 'Play';
}

function playFile(): void {
  stopFile();
  if (fileBuffer === null) return;
  resumeAudio();
  filePlayer = new AudioBufferSourceNode(ctx, { buffer: fileBuffer, loop: true });
  filePlayer.connect(inputBus);
  filePlayer.start();
  playButton.textContent = 'Stop';
  setStatus(`Playing “${fileLabel}” (${fileBuffer.duration.toFixed(1)} s, looped).`, 'ok');
}

async function startMic(): Promise<void> {
  if (navigator.mediaDevices?.getUserMedia === undefined) {
    setStatus('This browser gives no microphone access here (a secure context is needed).', 'error');
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    if (source !== 'mic') {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    micStream = stream;
    micNode = ctx.createMediaStreamSource(stream);
    micNode.connect(inputBus);
    setStatus(`Microphone: ${stream.getAudioTracks()[0]?.label || 'on'}. Play or sing into it.`, 'ok');
  } catch (e) {
    setStatus(`Microphone unavailable: ${describeError(e)}`, 'error');
  }
}

async function setSource(next: Source): Promise<void> {
  if (next !== source) releaseAll();
  source = next;
  const radio = document.querySelector<HTMLInputElement>(`input[name=source][value=${next}]`);
  if (radio !== null) radio.checked = true;
  listModels();
  $('file-controls').hidden = next !== 'file';
  $('keyboard-controls').hidden = next !== 'keyboard';
  if (next !== 'mic') stopMic();
  if (next !== 'file') stopFile();
  if (next === 'keyboard') {
    await setMode('notes');
  } else {
    await setMode('audio');
    if (next === 'mic') await startMic();
    else if (fileBuffer !== null) playFile();
  }
}

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=source]')) {
  radio.addEventListener('change', () => {
    if (radio.checked) void setSource(radio.value as Source);
  });
}

async function useAudio(bytes: ArrayBuffer, label: string): Promise<void> {
  try {
    fileBuffer = await ctx.decodeAudioData(bytes);
  } catch (e) {
    setStatus(`Could not decode “${label}” as audio: ${describeError(e)}`, 'error');
    return;
  }
  fileLabel = label;
  if (source === 'file') playFile();
}

const audioSelect = $<HTMLSelectElement>('audio-select');
async function initAudioList(): Promise<void> {
  const list = await fetchList('/audio.json');
  audioSelect.replaceChildren(new Option('— example phrase —', ''));
  for (const a of list) audioSelect.add(new Option(a.name, a.url));
  audioSelect.hidden = list.length === 0;
}
audioSelect.addEventListener('change', async () => {
  const url = audioSelect.value;
  if (url === '') return;
  try {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    await useAudio(await r.arrayBuffer(), audioSelect.selectedOptions[0]?.text ?? url);
  } catch (e) {
    setStatus(`Could not fetch ${url}: ${describeError(e)}`, 'error');
  }
});
$<HTMLInputElement>('audio-file').addEventListener('change', async (ev) => {
  const input = ev.target as HTMLInputElement;
  const file = input.files?.[0];
  if (file === undefined) return;
  audioSelect.value = '';
  await useAudio(await file.arrayBuffer(), file.name);
});
playButton.addEventListener('click', () => {
  if (filePlayer !== null) {
    stopFile();
    setStatus(`Stopped “${fileLabel}”.`, 'info');
  } else if (fileBuffer !== null) playFile();
  else setStatus('Choose an example phrase or an audio file first.', 'info');
});

// ---------------------------------------------------------------------------------------------------------------
// Keyboard (notes mode): on-screen keys, computer keys, Web MIDI — each key a note of the node (chords)

function midiToHz(note: number): number {
  return 440 * 2 ** ((note - 69) / 12);
}
function noteName(note: number): string {
  return `${NOTE_NAMES[((note % 12) + 12) % 12]}${Math.floor(note / 12) - 1}`;
}
/** The MIDI velocity of an on-screen or computer key: the level slider's share of 127. */
function keyVelocity(): number {
  return Math.max(1, Math.round(127 * sliderValue('note-level')));
}

/**
 * A key played while another source is selected switches to the keyboard source. The node's mode is set at once
 * (not queued behind setSource's awaits): note-ons reaching the processor outside notes mode are not played.
 */
function playKeyboard(): void {
  if (source === 'keyboard') return;
  void setSource('keyboard');
  if (node !== null && node.mode !== 'notes') node.setMode('notes');
}

/** True when a pointer or a computer key holds `note` (MIDI notes are the node's own, by channel). */
function keyHeld(note: number): boolean {
  return held.some((h) => h.note === note && !h.by.startsWith('midi:'));
}

/**
 * Presses `note` for `by` (a pointer, a computer key): a note on, unless another of them already sounds that key.
 * A holder presses one key at a time: a pointer sliding to another key releases the one it held.
 */
function noteOn(note: number, by: string): void {
  resumeAudio();
  playKeyboard();
  const i = held.findIndex((h) => h.by === by);
  if (i >= 0) noteOff(by);
  if (!keyHeld(note)) node?.noteOn(note, keyVelocity());
  held.push({ note, by });
  updateKeyHighlights();
}

/** Releases what `by` holds: a note off once no other holder holds that key. */
function noteOff(by: string): void {
  const i = held.findIndex((h) => h.by === by);
  if (i < 0) return;
  const [{ note }] = held.splice(i, 1);
  if (!keyHeld(note)) node?.noteOff(note);
  updateKeyHighlights();
}

function releaseAll(): void {
  held.length = 0;
  node?.allNotesOff();
  updateKeyHighlights();
}

const keyboardEl = $('keyboard');
const keyEls: HTMLElement[] = [];

function buildKeyboard(): void {
  keyboardEl.replaceChildren();
  keyEls.length = 0;
  const whites = [0, 2, 4, 5, 7, 9, 11];
  let nWhite = 0;
  for (let k = 0; k < N_KEYS; k++) if (whites.includes(k % 12)) nWhite++;
  let w = 0;
  for (let k = 0; k < N_KEYS; k++) {
    const el = document.createElement('div');
    const isWhite = whites.includes(k % 12);
    el.className = `key ${isWhite ? 'white' : 'black'}`;
    el.dataset.index = String(k);
    const kbd = KEY_CODES[k].replace('Key', '').replace('Semicolon', ';');
    el.innerHTML = `<span class="kbd">${kbd}</span><span class="name"></span>`;
    if (isWhite) {
      el.style.left = `${(w / nWhite) * 100}%`;
      el.style.width = `${100 / nWhite}%`;
      w++;
    } else {
      el.style.left = `${(w / nWhite) * 100 - 100 / nWhite / 3}%`;
      el.style.width = `${(100 / nWhite) * (2 / 3)}%`;
    }
    keyboardEl.appendChild(el);
    keyEls.push(el);
  }
  labelKeys();
}

function labelKeys(): void {
  keyEls.forEach((el, k) => {
    const note = baseNote + k;
    el.dataset.note = String(note);
    el.title = `${noteName(note)} (${midiToHz(note).toFixed(1)} Hz)`;
    const name = el.querySelector('.name');
    if (name !== null) name.textContent = note % 12 === 0 || note % 12 === 9 ? noteName(note) : '';
  });
  $('octave-label').textContent = `${noteName(baseNote)}–${noteName(baseNote + N_KEYS - 1)}`;
}

function updateKeyHighlights(): void {
  const on = new Set(held.map((h) => h.note));
  for (const el of keyEls) el.classList.toggle('down', on.has(Number(el.dataset.note)));
}

function keyAt(x: number, y: number): HTMLElement | null {
  const el = document.elementFromPoint(x, y);
  const key = el instanceof HTMLElement ? el.closest<HTMLElement>('.key') : null;
  return key !== null && keyboardEl.contains(key) ? key : null;
}

keyboardEl.addEventListener('pointerdown', (ev) => {
  const key = keyAt(ev.clientX, ev.clientY);
  if (key === null) return;
  ev.preventDefault();
  keyboardEl.setPointerCapture(ev.pointerId);
  noteOn(Number(key.dataset.note), `pointer:${ev.pointerId}`);
});
keyboardEl.addEventListener('pointermove', (ev) => {
  if (!keyboardEl.hasPointerCapture(ev.pointerId)) return;
  const key = keyAt(ev.clientX, ev.clientY);
  const by = `pointer:${ev.pointerId}`;
  const cur = held.find((h) => h.by === by);
  if (key !== null && cur !== undefined && Number(key.dataset.note) !== cur.note) noteOn(Number(key.dataset.note), by);
});
for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) {
  keyboardEl.addEventListener(type, (ev) => noteOff(`pointer:${ev.pointerId}`));
}

function shiftOctave(d: number): void {
  baseNote = Math.min(96, Math.max(24, baseNote + 12 * d));
  labelKeys();
}
$('octave-down').addEventListener('click', () => shiftOctave(-1));
$('octave-up').addEventListener('click', () => shiftOctave(1));

document.addEventListener('keydown', (ev) => {
  const t = ev.target as HTMLElement | null;
  if (ev.metaKey || ev.ctrlKey || ev.altKey) return;
  if (t !== null && (t.tagName === 'SELECT' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'range' && (t as HTMLInputElement).type !== 'radio'))) return;
  if (ev.code === 'KeyZ' || ev.code === 'KeyX') {
    if (!ev.repeat) shiftOctave(ev.code === 'KeyZ' ? -1 : 1);
    return;
  }
  const k = KEY_CODES.indexOf(ev.code);
  if (k < 0) return;
  ev.preventDefault();
  if (!ev.repeat) noteOn(baseNote + k, `key:${ev.code}`);
});
document.addEventListener('keyup', (ev) => noteOff(`key:${ev.code}`));
window.addEventListener('blur', releaseAll);

// Web MIDI
const midiStatus = $('midi-status');
const midiButton = $<HTMLButtonElement>('midi-enable');

/**
 * A Web MIDI message goes to the node as it came, bytes and timestamp (node.midi parses notes, bend, pressure,
 * sustain and MPE); the page only follows note on/off to light the keys and switch to the keyboard source.
 */
function onMidiMessage(ev: MIDIMessageEvent): void {
  const d = ev.data;
  if (d === null || d.length === 0) return;
  const cmd = d[0] & 0xf0;
  const on = cmd === 0x90 && d[2] > 0;
  if (on) {
    resumeAudio();
    playKeyboard();
  }
  node?.midi(d, ev.timeStamp);
  const by = `midi:${d[0] & 0x0f}:${d[1]}`;
  if (on && !held.some((h) => h.by === by)) held.push({ note: d[1], by });
  else if (cmd === 0x80 || (cmd === 0x90 && d[2] === 0)) {
    const i = held.findIndex((h) => h.by === by);
    if (i >= 0) held.splice(i, 1);
  } else if (cmd === 0xb0 && (d[1] === 123 || d[1] === 120)) {
    for (let i = held.length - 1; i >= 0; i--) if (held[i].by.startsWith(`midi:${d[0] & 0x0f}:`)) held.splice(i, 1);
  } else return;
  updateKeyHighlights();
}

async function enableMidi(): Promise<void> {
  if (typeof navigator.requestMIDIAccess !== 'function') {
    midiStatus.textContent = 'Web MIDI is not available in this browser.';
    return;
  }
  try {
    const access = await navigator.requestMIDIAccess();
    const refresh = () => {
      const names: string[] = [];
      access.inputs.forEach((input) => {
        input.onmidimessage = onMidiMessage;
        names.push(input.name ?? input.id);
      });
      midiStatus.textContent = names.length > 0 ? `MIDI: ${names.join(', ')}` : 'MIDI: no input connected';
    };
    access.onstatechange = refresh;
    refresh();
    midiButton.hidden = true;
  } catch (e) {
    midiStatus.textContent = `MIDI unavailable: ${describeError(e)}`;
  }
}
if (typeof navigator.requestMIDIAccess !== 'function') {
  midiButton.hidden = true;
  midiStatus.textContent = 'Web MIDI is not available in this browser.';
}
midiButton.addEventListener('click', () => void enableMidi());

// ---------------------------------------------------------------------------------------------------------------
// Meters: latency, input level, pitch readout

function updateMeters(): void {
  $('sample-rate').textContent = `${(ctx.sampleRate / 1000).toFixed(1)} kHz`;
  const msText = (s: number): string => `${(s * 1000).toFixed(1)} ms`;
  $('latency').textContent = node !== null ? msText(node.latency) : '–';
  $('latency').title = node !== null ? `${node.latencySamples} samples at ${ctx.sampleRate} Hz` : '';
  // outputLatency is an estimate the browser gives once the context runs (0 or absent before, and in some browsers)
  const running = ctx.state === 'running';
  const base = ctx.baseLatency ?? 0;
  const output = ctx.outputLatency ?? 0;
  $('base-latency').textContent = running ? msText(base) : '–';
  $('output-latency').textContent = running ? msText(output) : '–';
  $('total-latency').textContent = running && node !== null ? msText(node.latency + base + output) : '–';
}
setInterval(updateMeters, 1000);

/** Highest pitch the readout reports, Hz: the top of a piano (C8), above every bundled model's range. */
const MAX_READOUT_HZ = 4200;

/**
 * Pitch of a frame by the YIN difference function (cumulative-mean normalised, absolute threshold, parabolic
 * refinement). Returns 0 when no period is clear.
 */
function estimatePitch(x: Float32Array, sampleRate: number, d: Float32Array): number {
  const maxLag = Math.min(d.length - 1, Math.floor(sampleRate / 50));
  const minLag = Math.max(2, Math.floor(sampleRate / MAX_READOUT_HZ));
  const w = x.length - maxLag;
  let sum = 0;
  d[0] = 1;
  for (let tau = 1; tau <= maxLag; tau++) {
    let s = 0;
    for (let i = 0; i < w; i++) {
      const e = x[i] - x[i + tau];
      s += e * e;
    }
    sum += s;
    d[tau] = sum > 0 ? (s * tau) / sum : 1;
  }
  for (let tau = minLag; tau < maxLag; tau++) {
    if (d[tau] < 0.2) {
      while (tau + 1 < maxLag && d[tau + 1] < d[tau]) tau++;
      const a = d[tau - 1];
      const b = d[tau];
      const c = d[tau + 1];
      const den = a - 2 * b + c;
      const shift = den > 0 ? (0.5 * (a - c)) / den : 0;
      return sampleRate / (tau + shift);
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Visualiser: scrolling spectrogram (log frequency) and a triggered oscilloscope

const spec = $<HTMLCanvasElement>('spectrogram');
const scope = $<HTMLCanvasElement>('oscilloscope');
const specCtx = spec.getContext('2d', { willReadFrequently: false })!;
const scopeCtx = scope.getContext('2d')!;
const freqBytes = new Uint8Array(outputAnalyser.frequencyBinCount);
const timeData = new Float32Array(outputAnalyser.fftSize);
const inputTime = new Float32Array(inputAnalyser.fftSize);
const yinScratch = new Float32Array(1200);
const AXIS_PX = 44;
const F_LO = 40;
const F_HI = 12000;

/** 256-entry colour map (dark blue → purple → orange → pale yellow). */
const COLOURS: string[] = (() => {
  const stops: [number, number, number, number][] = [
    [0, 12, 10, 30],
    [0.3, 70, 20, 110],
    [0.6, 200, 60, 90],
    [0.85, 250, 160, 60],
    [1, 252, 250, 190],
  ];
  const out: string[] = [];
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let j = 0;
    while (j < stops.length - 2 && t > stops[j + 1][0]) j++;
    const [t0, r0, g0, b0] = stops[j];
    const [t1, r1, g1, b1] = stops[j + 1];
    const u = (t - t0) / (t1 - t0);
    out.push(`rgb(${Math.round(r0 + u * (r1 - r0))},${Math.round(g0 + u * (g1 - g0))},${Math.round(b0 + u * (b1 - b0))})`);
  }
  return out;
})();

function fitCanvas(c: HTMLCanvasElement): void {
  const r = c.getBoundingClientRect();
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(r.width * dpr));
  const h = Math.max(1, Math.round(r.height * dpr));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
}

function yOfFreq(f: number, h: number): number {
  return h - (Math.log(f / F_LO) / Math.log(F_HI / F_LO)) * h;
}

function drawAxis(h: number): void {
  const g = specCtx;
  g.fillStyle = '#0c0a1e';
  g.fillRect(0, 0, AXIS_PX, h);
  g.fillStyle = '#9aa0b8';
  g.font = `${Math.round(10 * (spec.width / spec.getBoundingClientRect().width || 1))}px system-ui, sans-serif`;
  g.textBaseline = 'middle';
  for (const f of [50, 100, 200, 500, 1000, 2000, 5000, 10000]) {
    const y = yOfFreq(f, h);
    g.fillText(f >= 1000 ? `${f / 1000}k` : String(f), 4, Math.min(h - 6, Math.max(6, y)));
  }
}

function drawSpectrogramColumn(): void {
  const w = spec.width;
  const h = spec.height;
  const g = specCtx;
  const step = 2;
  g.drawImage(spec, AXIS_PX + step, 0, w - AXIS_PX - step, h, AXIS_PX, 0, w - AXIS_PX - step, h);
  outputAnalyser.getByteFrequencyData(freqBytes);
  const binHz = ctx.sampleRate / outputAnalyser.fftSize;
  for (let y = 0; y < h; y++) {
    // frequency range covered by this pixel row; take the loudest bin in it
    const fTop = F_LO * (F_HI / F_LO) ** ((h - y) / h);
    const fBot = F_LO * (F_HI / F_LO) ** ((h - y - 1) / h);
    const b0 = Math.max(0, Math.floor(fBot / binHz));
    const b1 = Math.min(freqBytes.length - 1, Math.max(b0, Math.floor(fTop / binHz)));
    let v = 0;
    for (let b = b0; b <= b1; b++) if (freqBytes[b] > v) v = freqBytes[b];
    g.fillStyle = COLOURS[v];
    g.fillRect(w - step, y, step, 1);
  }
  drawAxis(h);
}

function drawOscilloscope(): void {
  const w = scope.width;
  const h = scope.height;
  const g = scopeCtx;
  g.fillStyle = '#0c0a1e';
  g.fillRect(0, 0, w, h);
  g.strokeStyle = '#2a2850';
  g.beginPath();
  g.moveTo(0, h / 2);
  g.lineTo(w, h / 2);
  g.stroke();
  outputAnalyser.getFloatTimeDomainData(timeData);
  const span = 1024;
  let start = 0;
  for (let i = 1; i < timeData.length - span; i++) {
    if (timeData[i - 1] < 0 && timeData[i] >= 0) {
      start = i;
      break;
    }
  }
  let peak = 0.05;
  for (let i = 0; i < timeData.length; i++) peak = Math.max(peak, Math.abs(timeData[i]));
  g.strokeStyle = '#f7a35c';
  g.lineWidth = Math.max(1, w / 600);
  g.beginPath();
  for (let i = 0; i < span; i++) {
    const x = (i / (span - 1)) * w;
    const y = h / 2 - (timeData[start + i] / peak) * (h / 2 - 4);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  }
  g.stroke();
}

let lastReadout = 0;
function updateReadouts(now: number): void {
  inputAnalyser.getFloatTimeDomainData(inputTime);
  let s = 0;
  for (let i = 0; i < inputTime.length; i++) s += inputTime[i] * inputTime[i];
  const db = 10 * Math.log10(s / inputTime.length + 1e-12);
  $('input-level').style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
  if (now - lastReadout < 150) return;
  lastReadout = now;
  const chord = [...new Set(held.map((h) => h.note))].sort((x, y) => x - y);
  if (chord.length > 1) {
    // a chord has no one pitch (its output's period is the notes' common one, often far below them): name the keys
    $('pitch-readout').textContent = chord.map(noteName).join(' · ');
    return;
  }
  let e = 0;
  for (let i = 0; i < timeData.length; i++) e += timeData[i] * timeData[i];
  const hz = Math.sqrt(e / timeData.length) > 1e-3 ? estimatePitch(timeData, ctx.sampleRate, yinScratch) : 0;
  const note = hz > 0 ? 69 + 12 * Math.log2(hz / 440) : 0;
  $('pitch-readout').textContent = hz > 0 ? `≈ ${hz.toFixed(1)} Hz · ${noteName(Math.round(note))}` : '';
}

function frame(now: number): void {
  fitCanvas(spec);
  fitCanvas(scope);
  drawSpectrogramColumn();
  drawOscilloscope();
  updateReadouts(now);
  requestAnimationFrame(frame);
}

// ---------------------------------------------------------------------------------------------------------------
// Start

window.ddspDemo = {
  get context() {
    return ctx;
  },
  get node() {
    return node;
  },
  inputAnalyser,
  outputAnalyser,
  get source() {
    return source;
  },
  get notes() {
    return held.map((h) => h.note);
  },
};

mountTrainPanel({
  context: ctx,
  useModel: async (modelFile, label) => {
    trainedModel = modelFile.slice(0); // kept to be chosen again from the list (a load may take the buffer it gets)
    let opt = [...modelSelect.options].find((o) => o.value === TRAINED_KEY);
    if (opt === undefined) modelSelect.add((opt = new Option(label, TRAINED_KEY)));
    opt.text = label;
    await loadModel(modelFile, label, TRAINED_KEY);
  },
  setStatus,
  describeError,
});
buildKeyboard();
updateMeters();
requestAnimationFrame(frame);
void setSource('keyboard');
void initAudioList();
void initModels().then(() => {
  if (ctx.state !== 'running' && node !== null) {
    statusEl.dataset.waitingForGesture = '1';
  }
});
