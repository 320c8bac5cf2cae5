/**
 * The user controls, one record each: unit, range, default and how a change reaches the sound. Everything that
 * handles a control reads it here: the synth graph (the mixes' defaults and bounds, through ./schema),
 * StreamingEngine (its one clamping path), renderOffline (its option checks), the node's AudioParams
 * (src/web/params.ts derives their descriptors), the worklet behind them and the CLI's flags.
 * Data only, with no imports, so the worklet bundle and the web entry take it as it is.
 *
 * @packageDocumentation
 */

/** How a change of a control reaches the sound. */
export type ControlSmoothing =
  /** One-pole smoothing of the value applied per model frame, time constant `seconds`. */
  | { readonly kind: 'frame-one-pole'; readonly seconds: number }
  /** A per-sample linear ramp to each new value, applied by the synth (CONTROL_RAMP_SECONDS, src/modules/smoother.ts). */
  | { readonly kind: 'sample-ramp' }
  /** None: a control-mode feature, taken as it stands when a frame is analysed. */
  | { readonly kind: 'none' };

/** One user control. */
export interface ControlSpec {
  /** Unit of the value. */
  readonly unit: string;
  /** Lowest value. The engine clamps the mix controls and pitchShift to [min, max]; the AudioParams clamp all. */
  readonly min: number;
  /** Highest value. */
  readonly max: number;
  /** Value until one is set (for pitchShift and the mixes: what training used). */
  readonly defaultValue: number;
  readonly smoothing: ControlSmoothing;
}

/**
 * The user controls, in the order of the node's AudioParams.
 *
 * - `pitchShift`: semitones, applied to the estimator's f0 input and to the oscillators.
 * - `harmonicMix`: gain of the harmonic (oscillator) part.
 * - `noiseMix`: gain of the filtered-noise part.
 * - `reverbMix`: the reverb's wet share m: output = 2·m·wet + 2·(1 − m)·dry (the seed's law; 0.5 as trained).
 * - `f0`: control mode, fundamental frequency in Hz; 0 = unvoiced (the last voiced f0 is held, 440 Hz before any
 *   voiced one, so the default and 0 sound the same until a pitch is set).
 * - `loudness`: control mode, loudness in dB on the seed's A-weighted scale (not dBFS).
 */
export const CONTROLS = {
  pitchShift: { unit: 'semitones', min: -24, max: 24, defaultValue: 0, smoothing: { kind: 'frame-one-pole', seconds: 0.03 } },
  harmonicMix: { unit: 'gain', min: 0, max: 2, defaultValue: 1, smoothing: { kind: 'sample-ramp' } },
  noiseMix: { unit: 'gain', min: 0, max: 2, defaultValue: 1, smoothing: { kind: 'sample-ramp' } },
  reverbMix: { unit: 'wet share', min: 0, max: 1, defaultValue: 0.5, smoothing: { kind: 'sample-ramp' } },
  f0: { unit: 'Hz', min: 0, max: 20000, defaultValue: 440, smoothing: { kind: 'none' } },
  loudness: { unit: 'dB', min: -120, max: 20, defaultValue: -80, smoothing: { kind: 'none' } },
} as const satisfies Record<string, ControlSpec>;

/** Name of a user control. */
export type ControlName = keyof typeof CONTROLS;

/** Every control, in {@link CONTROLS} order. */
export const CONTROL_NAMES = Object.keys(CONTROLS) as readonly ControlName[];

/**
 * The controls of the engine's `controls` object (EngineControls), in the order the engine hands them on:
 * pitchShift (applied per frame), then the synth's mixes (per sample). f0 and loudness, the control-mode
 * features, are set apart (StreamingEngine.setControlFeatures).
 */
export const ENGINE_CONTROL_NAMES = ['pitchShift', 'harmonicMix', 'noiseMix', 'reverbMix'] as const;

/** Name of a control of the engine's `controls` object. */
export type EngineControlName = (typeof ENGINE_CONTROL_NAMES)[number];
