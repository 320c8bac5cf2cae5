// TypeDoc plugin for the API reference (`npm run docs:api`, options in docs/typedoc.json): names the entry modules
// by their import paths (`ddsp-stream`, `ddsp-stream/node`, `ddsp-stream/train`, `ddsp-stream/train/web`) instead of
// the names TypeDoc derives from their files.
import { Converter, ReflectionKind } from 'typedoc';

const NAMES = { index: 'ddsp-stream', node: 'ddsp-stream/node', train: 'ddsp-stream/train', 'train/web': 'ddsp-stream/train/web' };

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const m of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      if (Object.hasOwn(NAMES, m.name)) m.name = NAMES[m.name];
    }
  });
}
