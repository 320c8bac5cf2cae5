// Entry of the worklet bundle (rollup → dist/worklet.js, one self-contained IIFE): registers the 'ddsp-stream'
// processor. A worklet module that throws at top level fails silently in browsers (addModule resolves and only
// `new AudioWorkletNode` then says the name is not defined), so this file does nothing else and exports nothing.
import { PROCESSOR_NAME } from '../src/web/protocol';
import { DDSPProcessor } from './ddsp-processor';
import { scope } from './scope';

try {
  scope.registerProcessor(PROCESSOR_NAME, DDSPProcessor);
} catch {
  // Already registered in this scope by another copy of this bundle: that copy's processor serves the name.
}
