// Where frame k's analysis window lies: the one rule the pitch trackers, the loudness, the training data's
// preparation, the batch render and the streaming engine all frame the signal by. A model's window length and
// alignment are properties of the model (DDSPModel.analysisWindow / analysisAlignment, the training config's
// data.analysis_window / data.analysis_alignment); absent, they are the seed's: 2048 samples at 48 kHz, centred.

/** How frame k's window sits on the frame instant k·hop: `centred` on it (the seed's training features; the
 *  engine then waits half a window past the instant) or `causal`, ending at it (no look-ahead). */
export type AnalysisAlignment = 'centred' | 'causal';
/** The alignments, the default first. */
export const ANALYSIS_ALIGNMENTS: readonly AnalysisAlignment[] = ['centred', 'causal'];

/** Reference analysis window: 2048 samples at 48 kHz (the seed's), scaled with the model's sample rate. */
export const REFERENCE_WINDOW = 2048;
/** Sample rate at which {@link REFERENCE_WINDOW} applies. */
export const REFERENCE_RATE = 48000;

/**
 * The default analysis window at `sampleRate` (Hz): 2048 at 48 kHz, scaled with the rate, rounded to an even
 * number ≥ 64 (a model file without `analysisWindow` is analysed with it).
 */
export function analysisWindowSize(sampleRate: number): number {
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) {
    throw new RangeError(`sampleRate must be a positive finite number of Hz, got ${sampleRate}`);
  }
  return Math.max(64, 2 * Math.round((REFERENCE_WINDOW / 2) * sampleRate / REFERENCE_RATE));
}

/**
 * First sample of frame k's window of `windowSize` samples (may be negative): the frame instant is
 * round(k·hop); a centred window starts windowSize/2 before it (windowSize even), a causal one windowSize before.
 */
export function windowStart(k: number, hop: number, windowSize: number, alignment: AnalysisAlignment = 'centred'): number {
  return Math.round(k * hop) - (alignment === 'causal' ? windowSize : windowSize / 2);
}
