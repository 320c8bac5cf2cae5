// What the library accepts from files it did not write: every reader (model file, checkpoint zip and pickle,
// audio header, training config) takes its bounds from here, so one number holds in code, errors and
// docs/limits.md. Data only: the worklet bundle imports it. Each bound sits far outside what a real model,
// checkpoint or recording has and far inside what would cost more memory or time than the file's size suggests.

/** Bounds of the readers; see docs/limits.md for the reason behind each. */
export const LIMITS = {
  /** Model files (readModel, and a DDSPModel object handed to the worklet or writeModel). */
  model: {
    /** The rate the model runs at, Hz. */
    sampleRateHz: [8000, 384000],
    /** Estimator frames per second: the hop (sampleRate / frameRate samples) sizes the engine's buffers and
     *  the frame rate its estimator work. */
    frameRateHz: [1, 1000],
    /** Analysis window in samples at the model's rate (even): the engine's ring buffer and its pitch tracker's FFT
     *  grow with it; 2048 at 48 kHz is the seed's, 16384 the same window at 384 kHz. */
    analysisWindow: [64, 32768],
    /** hiddenSize² × frameRate: the estimator's work per second grows with both. 16 × the seed's 512² × 50
     *  (2048 at 50 frames/s, 512 at 800). Measured together on a loaded 2-core machine: the seed's size streamed
     *  at 0.12 s per second of audio, 2048 at 50 frames/s at 1.3, 2048 at 250 at 7.6. */
    maxEstimatorLoad: 2048 ** 2 * 50,
    /** Largest |weight|: the float16 range, so one bound holds for both weight types. */
    maxAbsWeight: 65504,
    /** Largest |sample| of the reverb IR (learned IRs peak near 0.1). */
    maxAbsIr: 4,
    /** Longest reverb IR, seconds at the model's rate. */
    maxIrSeconds: 10,
  },
  /** Seed Lightning checkpoints: the torch.save zip, its pickle, its omegaconf hyper-parameters. */
  checkpoint: {
    /** Bytes a checkpoint may materialise (inflated zip entries, tensors copied out) beyond its own size:
     *  this allowance plus `maxExpansion` × the file's size. */
    allowanceBytes: 256 * 2 ** 20,
    maxExpansion: 64,
    /** Bytes of one Python int (pickle LONG1/LONG4/INT/LONG); state dicts hold 8-byte ints at most. */
    maxIntBytes: 256,
    /** Values produced converting hyper-parameters to plain data (shared references count once per use). */
    maxConfigValues: 100_000,
    /** Nesting of hyper-parameters and of `${…}` interpolation chains. */
    maxConfigDepth: 64,
  },
  /** Audio files (decodeAudio / readAudioFile). */
  audio: {
    sampleRateHz: [1000, 768000],
    maxChannels: 256,
    /** Decoded samples, all channels together (2^28 floats = 1 GiB; 46 minutes of 48 kHz stereo). */
    maxSamples: 2 ** 28,
  },
  /** Training configs (YAML files, `key=value` overrides, `${…}` interpolation). */
  config: {
    /** Characters of one string after interpolation. */
    maxStringLength: 1 << 20,
    /** Nesting of the config tree plus `${…}` chains followed at once. */
    maxDepth: 64,
    /** Command-line overrides of one run (each unknown key is matched against every key for a suggestion). */
    maxOverrides: 200,
  },
  /** What the engine writes out: a safety clip no model within the bounds above reaches on real input. */
  output: {
    /** Peak of an output sample (+24 dBFS); larger values are clipped to it. */
    maxAbsSample: 16,
  },
} as const;
