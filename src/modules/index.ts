/**
 * Synth modules: param specs, batch forms and stream forms (realtime-safe, no tfjs). The differentiable forms
 * live beside each module in `<module>.grad.ts` and are imported from there (training code only).
 *
 * @packageDocumentation
 */
export * from './scaling';
export * from './timing';
export * from './smoother';
export * from './harmonic';
export * from './filtered-noise';
export * from './ir-reverb';
export * from './add';
export * from './mix';
