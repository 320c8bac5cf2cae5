// The 'ddsp-stream' AudioWorkletProcessor class (registered by worklet/processor.ts): a thin adapter around StreamingEngine (src/engine). AudioParams and
// port messages in, engine.process() out.
//
// Threads: everything here runs on the render thread, so nothing here may take long. The model file is read and
// validated in the page (DDSPNode), which also computes the model's costly parts at the context's rate (modelParts:
// the estimator's weight layout, the reverb's IR at this rate and its spectra) and posts the lot with its arrays
// transferred: the worklet bundle has no model-file reader. A load is built here in steps (buildPipeline: each
// builds one piece or copies a bounded amount of memory), one per 'step' request and one per render quantum that
// follows none, and answered once installed; DDSPNode sends 'step' requests while it waits, so the quanta keep
// their time to themselves while the page steps the load, take over where its requests stall, and a load also
// completes where no quanta run (an OfflineAudioContext before rendering, a suspended AudioContext). process()
// allocates nothing but in those steps.
import { ENGINE_CONTROL_NAMES, type EngineControlName } from '../src/modules/controls';
import { buildPipeline, type ModelParts, type ModelPipeline } from '../src/engine/model-pipeline';
import { StreamingEngine } from '../src/engine/streaming-engine';
import { DEFAULT_LOUDNESS_RANGE_DB, type DDSPModel } from '../src/model/ddsp-model';
import {
  MODE_PARAM,
  PROCESSOR_NAME,
  modeOf,
  type DDSPMode,
  type DDSPProcessorOptions,
  type DDSPReply,
  type DDSPRequest,
  type LoadResult,
  type ModelPayload,
  type WireError,
} from '../src/web/protocol';
import { PARAMETER_DESCRIPTORS } from '../src/web/params';
import { EVENT_KIND, EVENT_SLOTS, dataBytesOf, type EventsMessage } from '../src/web/event-messages';
import { EventQueue } from './event-queue';
import { scope, type ParameterDescriptor, type ParameterValues, type ProcessorConstructionOptions } from './scope';

/** Largest block handed to the engine per call; render quanta are 128 samples (longer ones are chunked). */
const BLOCK = 128;
/** The input of an unconnected node. */
const NO_CHANNELS: readonly Float32Array[] = [];

function wireError(e: unknown, fallback: WireError['code']): WireError {
  const err = e as { name?: unknown; message?: unknown } | null;
  const name = typeof err?.name === 'string' ? err.name : '';
  const message = typeof err?.message === 'string' && err.message !== '' ? err.message : String(e);
  return { code: name === 'ModelFormatError' ? 'MODEL_FORMAT' : fallback, message };
}

/** A load being built: its request's id (-1: the processorOptions model), the model, and the build's steps. */
interface Load {
  id: number;
  model: DDSPModel;
  steps: Generator<void, ModelPipeline, void>;
}

/** The node's controls and the mode (protocol.ts says why the mode is a parameter). */
const DESCRIPTORS: readonly ParameterDescriptor[] = [...PARAMETER_DESCRIPTORS, MODE_PARAM];

/** The processor. The class extends the scope's AudioWorkletProcessor, so import it only where one exists. */
export class DDSPProcessor extends scope.AudioWorkletProcessor {
  static get parameterDescriptors(): readonly ParameterDescriptor[] {
    return DESCRIPTORS;
  }

  /** The engine, built on the first successful load (render thread only). */
  engine: StreamingEngine | null = null;
  /** Current mode: the mode param's value (read each quantum); until the first quantum, its initial value. */
  mode: DDSPMode = 'audio';
  private readonly noiseSeed: number | undefined;
  private readonly voices: number | undefined;
  /** Input channels tracked as voices of their own in audio mode (engine.processChannels); 1: the mono downmix. */
  private readonly inputChannels: number;
  /** Note and MIDI events not yet due, sorted by frame. */
  readonly events = new EventQueue();
  /** A MIDI message's bytes for engine.midi, by data byte count (index 1 and 2). */
  private readonly midiBytes = [new Uint8Array(1), new Uint8Array(2), new Uint8Array(3)];
  /** The node's initial AudioParam values, so the first model starts at them without a smoothing ramp. */
  private readonly initialControls: Partial<Record<EngineControlName, number>> = {};
  private readonly rate: number;
  /** Mono downmix of the input, preallocated. */
  private readonly mono = new Float32Array(BLOCK);
  /** Loads in the order requested; the first is being built. */
  private readonly loads: Load[] = [];
  /** A 'step' request came since the last render quantum (which then leaves the build to the requests). */
  private stepRequested = false;

  constructor(options: ProcessorConstructionOptions<DDSPProcessorOptions>) {
    super(options);
    this.rate = scope.sampleRate;
    const po = options?.processorOptions ?? {};
    this.noiseSeed = typeof po.noiseSeed === 'number' ? po.noiseSeed : undefined;
    this.voices = typeof po.voices === 'number' ? po.voices : undefined;
    this.inputChannels = typeof po.inputChannels === 'number' && po.inputChannels > 1 ? po.inputChannels : 1;
    const pd = options?.parameterData ?? {};
    const m = pd[MODE_PARAM.name];
    if (typeof m === 'number') this.mode = modeOf(m);
    for (const k of ENGINE_CONTROL_NAMES) {
      const v = pd[k];
      if (typeof v === 'number' && v - v === 0) this.initialControls[k] = v;
    }
    this.port.onmessage = (ev: MessageEvent) => this.onMessage(ev.data);
    if (po.model !== undefined) this.queueLoad(-1, po.model);
  }

  private post(msg: DDSPReply): void {
    this.port.postMessage(msg);
  }

  /** Port handler (render thread, between quanta). Answers every request; never throws. */
  onMessage(data: unknown): void {
    if ((data as EventsMessage | null)?.type === 'events') {
      this.onEvents((data as EventsMessage).data);
      return;
    }
    const req = data as DDSPRequest;
    const type = (data as { type?: unknown } | null)?.type;
    const id = typeof req?.id === 'number' ? req.id : -1;
    try {
      switch (req?.type) {
        case 'load':
          this.queueLoad(id, req.model, req.parts);
          return;
        case 'step':
          this.stepRequested = true;
          if (this.loads.length > 0) this.buildStep();
          this.post({ id, result: this.loads.length > 0 });
          return;
        case 'reset':
          this.engine?.reset();
          this.events.clear();
          this.post({ id, result: null });
          return;
        case 'sync':
          this.post({ id, result: null });
          return;
        default:
          this.post({ id, error: { code: 'BAD_REQUEST', message: `unknown message type ${String(type)}` } });
      }
    } catch (e) {
      this.post({ id, error: wireError(e, type === 'load' ? 'MODEL_LOAD' : 'BAD_REQUEST') });
    }
  }

  /** Queues the events of an 'events' message (they carry no id: a full queue is reported as an error message). */
  private onEvents(data: unknown): void {
    if (!(data instanceof Float64Array) || data.length % EVENT_SLOTS !== 0) {
      this.post({ type: 'error', error: { code: 'BAD_REQUEST', message: 'an events message needs a Float64Array of whole events' } });
      return;
    }
    const dropped = this.events.insert(data, scope.currentFrame);
    if (dropped > 0) {
      this.post({
        type: 'error',
        error: { code: 'BAD_REQUEST', message: `${dropped} note/MIDI event(s) dropped: ${this.events.count} events are already waiting (the most the processor holds)` },
      });
    }
  }

  /**
   * Hands the engine the events due before frame `end`, each at its engine sample time (the block that starts at
   * frame `start` starts at engine.sampleTime). Allocation-free: the arguments are integers read from the queue.
   */
  private dispatchEvents(engine: StreamingEngine, start: number, end: number): void {
    const q = this.events;
    const k = q.dueBefore(end);
    if (k === 0) return;
    const d = q.data;
    const t0 = engine.sampleTime;
    for (let e = 0; e < k; e++) {
      const s = e * EVENT_SLOTS;
      const frame = d[s + 1];
      const t = frame > start ? t0 + (frame - start) : t0;
      const kind = d[s];
      if (kind === EVENT_KIND.noteOn) engine.noteOn(d[s + 2], d[s + 3], t, d[s + 4]);
      else if (kind === EVENT_KIND.noteOff) engine.noteOff(d[s + 2], t, d[s + 4]);
      else if (kind === EVENT_KIND.allNotesOff) engine.allNotesOff(t);
      else if (kind === EVENT_KIND.midi) {
        const status = d[s + 2];
        const n = dataBytesOf(status);
        const bytes = this.midiBytes[n];
        bytes[0] = status;
        bytes[1] = d[s + 3];
        if (n === 2) bytes[2] = d[s + 4];
        engine.midi(bytes, t);
      }
    }
    q.drop(k);
  }

  /**
   * Queues a load of a model the page has read and validated (answered once built and installed, or refused); a
   * payload that is not a model object is refused at once.
   */
  private queueLoad(id: number, model: ModelPayload, parts?: ModelParts): void {
    if (model === null || typeof model !== 'object' || model instanceof ArrayBuffer || ArrayBuffer.isView(model)) {
      this.answer(id, null, new TypeError('model must be a DDSPModel object (the page reads the model file: DDSPNode does)'));
      return;
    }
    this.loads.push({ id, model, steps: buildPipeline(model, this.rate, { ...this.pipelineOptions(), parts }) });
  }

  /** What the engine prepares its models with (StreamingEngine.prepare), so that a load built here fits it. */
  private pipelineOptions(): { noiseSeed?: number; voices?: number; inputChannels: number } {
    return { noiseSeed: this.noiseSeed, voices: this.voices, inputChannels: this.inputChannels };
  }

  /** One step of the first queued load; the last installs the model (the first builds the engine) and answers. */
  private buildStep(): void {
    const load = this.loads[0];
    try {
      const step = load.steps.next();
      if (step.done !== true) return;
      this.loads.shift();
      if (this.engine === null) {
        this.engine = new StreamingEngine(step.value, {
          ...this.pipelineOptions(),
          sampleRate: this.rate,
          mode: this.mode,
          controls: this.initialControls,
        });
      } else {
        this.engine.setModel(step.value);
      }
      const model = load.model;
      const result: LoadResult = {
        latencySamples: this.engine.latencySamples,
        sampleRate: this.rate,
        modelSampleRate: model.sampleRate,
        loudnessRangeDb: model.loudnessRangeDb ?? [DEFAULT_LOUDNESS_RANGE_DB[0], DEFAULT_LOUDNESS_RANGE_DB[1]],
      };
      if (model.name !== undefined) result.name = model.name;
      this.answer(load.id, result, null);
    } catch (e) {
      this.loads.shift();
      this.answer(load.id, null, e);
    }
  }

  /** Answers load `id` (-1: the processorOptions model, answered as a 'loaded' or 'error' message). */
  private answer(id: number, result: LoadResult | null, e: unknown): void {
    if (result !== null) this.post(id < 0 ? { type: 'loaded', result } : { id, result });
    else {
      const error = wireError(e, 'MODEL_LOAD');
      this.post(id < 0 ? { type: 'error', error } : { id, error });
    }
  }

  /**
   * One render quantum: a step of a queued load if no 'step' request came since the last quantum, then the engine.
   * Outputs zeros until a model is loaded.
   */
  process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: ParameterValues): boolean {
    if (this.loads.length > 0 && !this.stepRequested) this.buildStep();
    this.stepRequested = false;
    const out = outputs[0];
    if (out === undefined || out.length === 0) return true;
    const dst = out[0];
    const n = dst.length;
    const engine = this.engine;
    if (engine === null) {
      for (let c = 0; c < out.length; c++) out[c].fill(0);
      this.events.drop(this.events.dueBefore(scope.currentFrame + n)); // nothing to play them
      return true;
    }
    // The engine clamps the controls and ignores non-finite values (keeping the last).
    const ctl = engine.controls;
    ctl.pitchShift = parameters.pitchShift[0];
    ctl.harmonicMix = parameters.harmonicMix[0];
    ctl.noiseMix = parameters.noiseMix[0];
    ctl.reverbMix = parameters.reverbMix[0];
    const mode = modeOf(parameters.mode[0]);
    if (mode !== this.mode) {
      this.mode = mode;
      engine.setMode(mode);
    }
    if (mode === 'control') engine.setControlFeatures(parameters.f0, parameters.loudness, 0);
    const analyse = mode === 'audio';

    const chans = inputs[0];
    const nIn = chans === undefined ? 0 : chans.length;
    const mono = this.mono;
    const gain = nIn > 0 ? 1 / nIn : 0;
    const frame = scope.currentFrame;
    for (let start = 0; start < n; start += BLOCK) {
      const m = n - start < BLOCK ? n - start : BLOCK;
      if (this.events.count > 0) this.dispatchEvents(engine, frame + start, frame + start + m);
      if (!analyse) {
        engine.process(null, dst, m, 0, start);
        continue;
      }
      if (this.inputChannels > 1) {
        engine.processChannels(chans === undefined ? NO_CHANNELS : chans, dst, m, start, start); // each channel a voice
        continue;
      }
      if (nIn === 0) {
        mono.fill(0, 0, m);
      } else {
        const c0 = chans[0];
        for (let i = 0; i < m; i++) {
          const v = c0[start + i];
          mono[i] = v - v === 0 ? v : 0;
        }
        for (let c = 1; c < nIn; c++) {
          const ch = chans[c];
          for (let i = 0; i < m; i++) {
            const v = ch[start + i];
            if (v - v === 0) mono[i] += v;
          }
        }
        if (nIn > 1) for (let i = 0; i < m; i++) mono[i] *= gain;
      }
      engine.process(mono, dst, m, 0, start);
    }
    for (let c = 1; c < out.length; c++) out[c].set(dst);
    return true;
  }
}
