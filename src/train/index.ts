/**
 * `ddsp-stream/train` — training in Node with tfjs: config composition (the seed's hydra configs), data
 * preparation into LMDB, the training loop, checkpoints, TensorBoard logs, export and evaluation. The loop's core
 * (TrainSession) is the one `ddsp-stream/train/web` runs in a page.
 *
 * ```ts
 * import { composeConfig, train, exportModel } from 'ddsp-stream/train';
 * const composed = composeConfig({ overrides: ['name=violin', 'data.raw_dir=audio/violin', 'data.db_path=db/violin'] });
 * const run = await train({ composed });
 * await exportModel({ ckpt: run.checkpoints.at(-1)!, name: 'violin' });
 * ```
 *
 * @packageDocumentation
 */
export {
  composeConfig, defaultConfigDir, lossWeight, lossWeights, maxTimeSeconds, METRIC_NAMES, ConfigError,
  composeWith, memoryConfigSource, folderConfigSource, toYaml,
  type ComposeOptions, type ComposedConfig, type TrainConfig, type LossSchedule, type ComposeSettings, type ConfigSource,
  type ConfigHost,
} from './config';
export { parseOverride, parseValue, type Override } from './overrides';
export { expandSweep, formatTable, type SweepJob } from './sweep';
export { train, RUN_FILES, type TrainOptions, type TrainResult } from './trainer';
export { LossCurves, plotLossCurves, TRAIN_COLOUR, VAL_COLOUR, type RgbImage, type PlotPanel, type PlotSeries } from './loss-plot';
export { StepTimer, formatDuration } from './progress';
export { Adam, ADAM } from './adam';
export {
  TrainSession, splitIndices, batchesPerEpoch, renderBatch, type LoopState, type StepPlan, type StepReport, type SessionState,
  type SessionRestore,
} from './session';
export {
  prepareDataset, prepSettingsFromConfig, findAudioFiles, sliceAudio, sliceRecording, PrepareError, type PrepareOptions,
  type PrepareResult, type SlicedFile,
} from './prepare';
export { batchOfSlices, assembleBatch } from './slices';
export { SliceStore, readBatch, settingsDiff, PREP_VERSION, type PrepSettings, type DbMeta, type Slice, type Batch } from './dataset';
export {
  readCheckpoint, writeCheckpoint, encodeCheckpoint, decodeCheckpoint, writeFileAtomic, isOwnCheckpoint, WriteError,
  type TrainState, type AdamState, type TensorMap,
} from './checkpoint';
export { EventWriter, readEventFile, crc32c, maskCrc, frameRecord, readRecords, encodeEvent, decodeEvent, type TBEvent, type SummaryValue } from './tensorboard';
export { TrainModel, graphFromConfig, graphDiff, initIR, ddspModelFromWeights, type ModelGraph } from './model';
export { exportModel, loadAnyModel, ExportError, type ExportOptions, type ExportResult, type LoadedModel } from './export';
export { evaluateModel, type EvalOptions, type EvalResult, type FeaturesFile } from './evaluate';
export { initBackend, ensureGradients, patchWasmMatMul, type BackendChoice, type BackendInfo } from './backend';
export { spectralLossOp } from './loss';
export { Rng, permutation } from './rng';
export { lossAndGrads, shareIndices, type StepResult } from './step';
export { GradientWorkers, trainStep, workerMain, layoutOf, wasmHeapBytes, type WorkerEntry } from './parallel';
export { syntheticBatch } from './synthetic-batch';

import { setWorkerEntry } from './parallel';
// data-parallel workers import this module (the built dist/train.js) to run workerMain
setWorkerEntry(import.meta.url);
