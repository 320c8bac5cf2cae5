/**
 * The YAML files of the package's `configs/` folder by their path inside it (`config.yaml`, `synth/hpnir.yaml`),
 * for composing configs where there is no file system (web.ts). This placeholder is empty: rollup replaces the
 * module with the files' text when it builds the package (see rollup.config.mjs), so only the built package has them.
 */
const shippedConfigs: Readonly<Record<string, string>> = {};
export default shippedConfigs;
