/**
 * The text of the bundled AudioWorklet module (dist/worklet.js). This placeholder is empty: rollup replaces
 * the module with the built worklet's text when it builds dist/index.js (see rollup.config.mjs), so only the
 * built package can register the processor.
 */
const workletSource: string = '';
export default workletSource;
