import type { DDSPErrorCode, WireError } from './protocol';

/**
 * An error reported by DDSPNode or its processor. `code` says what failed:
 * 'MODEL_FORMAT' (not a valid model file), 'MODEL_LOAD' (model read but the engine refused it), 'FETCH'
 * (model URL failed), 'NOT_REGISTERED' (the worklet did not register its processor), 'BAD_REQUEST',
 * 'PROCESSOR_ERROR' (the processor threw while rendering), 'INTERNAL'.
 */
export class DDSPError extends Error {
  override readonly name = 'DDSPError';
  constructor(
    readonly code: DDSPErrorCode,
    message: string,
  ) {
    super(`ddsp-stream: ${message}`);
  }

  /** Rebuilds an error received over the worklet's port. */
  static fromWire(e: WireError): DDSPError {
    const prefix = e.code === 'MODEL_FORMAT' ? 'invalid model file: ' : e.code === 'MODEL_LOAD' ? 'could not load the model: ' : '';
    return new DDSPError(e.code, prefix + e.message);
  }
}
