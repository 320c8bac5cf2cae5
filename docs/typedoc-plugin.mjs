// TypeDoc plugin for the API reference (`npm run docs:api`, options in docs/typedoc.json): names the two entry
// modules by their import paths, `ddsp-stream` and `ddsp-stream/train`, instead of their file names.
import { Converter, ReflectionKind } from 'typedoc';

const NAMES = { index: 'ddsp-stream', train: 'ddsp-stream/train' };

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const m of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      if (Object.hasOwn(NAMES, m.name)) m.name = NAMES[m.name];
    }
  });
}
