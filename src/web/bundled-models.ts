// The example models shipped in the package's models/ folder, by name, for pages: `{ model: 'violin' }`.
// Each URL is a literal `new URL('…', import.meta.url)`, the asset pattern bundlers understand (Vite, webpack 5,
// rollup, esbuild, Parcel copy the file and rewrite the URL); a computed path would be invisible to them. The paths
// are relative to this source file; rollup.config.mjs rewrites them for the built file's folder.

/** Names of the models in the package's models/ folder; the first, `violin`, is the default of the CLI, the docs and the demo. */
export const BUNDLED_MODELS = ['violin', 'flute', 'cello'] as const;

/** A model shipped with the package. */
export type BundledModelName = (typeof BUNDLED_MODELS)[number];

/** Where the bundled model `name` is served from (after bundling: wherever the bundler put the file). */
export function bundledModelUrl(name: BundledModelName): URL {
  switch (name) {
    case 'violin':
      return new URL('../../models/violin.onnx', import.meta.url);
    case 'flute':
      return new URL('../../models/flute.onnx', import.meta.url);
    case 'cello':
      return new URL('../../models/cello.onnx', import.meta.url);
  }
}
