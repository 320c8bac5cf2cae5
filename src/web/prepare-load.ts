// The page's part of a model load, for DDSPNode: fetch or copy the file, read and validate it (readModel), and
// compute its costly parts at the context's rate (modelParts), so that the worklet, on the render thread, only wires
// them up. Everything here runs on the page's thread.
import { modelParts, partsBuffers, type ModelParts } from '../engine/model-pipeline';
import { ModelFormatError, readModel, validateModel, type DDSPModel } from '../model/model-file';
import { BUNDLED_MODELS, bundledModelUrl, type BundledModelName } from './bundled-models';
import type { DDSPModelSource } from './ddsp-node';
import { DDSPError } from './errors';
import type { ModelPayload } from './protocol';

function isModelObject(x: unknown): x is DDSPModel {
  return x !== null && typeof x === 'object' && !(x instanceof ArrayBuffer) && !ArrayBuffer.isView(x) && !(x instanceof URL);
}

/** The URL a string or URL model source stands for: a bundled model's name, or the URL itself. */
function modelUrl(model: string | URL): string | URL {
  if (typeof model !== 'string' || /[/.:]/.test(model)) return model;
  if ((BUNDLED_MODELS as readonly string[]).includes(model)) return bundledModelUrl(model as BundledModelName);
  throw new RangeError(
    `unknown model name '${model}' (the package ships ${BUNDLED_MODELS.join(', ')}; give a URL such as './${model}.onnx' for another)`,
  );
}

/**
 * Why `bytes` (what `url` answered, with this content type) cannot be a model file, or null when it may be one.
 * A model file is binary protobuf (its first bytes include control bytes); text (an HTML page, JSON, an error page
 * served with status 200) means the URL is wrong, typically a dev server's single-page fallback answering its
 * index.html for a path it does not have.
 */
function notAModel(url: string, contentType: string, bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, 64);
  let text = head.length > 0;
  for (const b of head) if (b < 9 || (b > 13 && b < 32) || b === 127) text = false;
  if (!text) return null;
  const first = Array.from(head.subarray(0, 40), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
  return (
    `${url} is not a model file: it answered ${contentType || 'no content type'}, ${bytes.length} bytes starting ` +
    `"${first}". The URL is probably wrong (a dev server answers a path it does not serve with its index.html). ` +
    `Use a bundled model by name ({ model: 'violin' }), import your file's URL (import url from './my.onnx?url' ` +
    `in Vite) or put it in public/ and give its path ` +
    `(https://github.com/ddsp-stream/ddsp-stream/blob/main/docs/getting-started.md#serving-a-model).`
  );
}

/** The model file's bytes, fetched (URL or bundled name) or copied (so the caller's stay intact when transferred). */
async function modelBytes(model: string | URL | ArrayBuffer | Uint8Array): Promise<Uint8Array> {
  if (model instanceof ArrayBuffer) return new Uint8Array(model.slice(0));
  if (model instanceof Uint8Array) return model.slice();
  const url = modelUrl(model);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DDSPError('FETCH', `could not fetch the model from ${String(url)}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new DDSPError('FETCH', `could not fetch the model from ${String(url)}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const problem = notAModel(String(url), res.headers.get('content-type') ?? '', bytes);
  if (problem !== null) throw new DDSPError('FETCH', problem);
  return bytes;
}

/** A model file's or model's problem as the node reports it (a DDSPError 'MODEL_FORMAT'). */
function formatError(e: unknown): unknown {
  return e instanceof ModelFormatError ? DDSPError.fromWire({ code: 'MODEL_FORMAT', message: e.message }) : e;
}

/** What a 'load' request carries, and the buffers to transfer with it. */
export interface Load {
  model: ModelPayload;
  parts: ModelParts;
  transfer: Transferable[];
}

/**
 * Turns a model source into what goes over the port: the DDSPModel, read and validated here in the page, and its
 * costly parts at the context's rate (modelParts: the estimator's weight layout, the reverb's IR at this rate and
 * its spectra), so that the render thread only wires them up. The arrays are transferred when they are ours (a
 * model read here; the parts), so posting copies nothing; a DDSPModel given by the caller is cloned, never detached.
 */
export async function prepareLoad(model: DDSPModelSource, sampleRate: number): Promise<Load> {
  const read = await readSource(model);
  const parts = modelParts(read.model, sampleRate);
  return { model: read.model, parts, transfer: [...read.transfer, ...partsBuffers(parts)] };
}

/** The model of a source, validated, and the buffers of its arrays that are ours to transfer. */
async function readSource(model: DDSPModelSource): Promise<{ model: DDSPModel; transfer: ArrayBuffer[] }> {
  if (typeof model === 'string' || model instanceof URL || model instanceof ArrayBuffer || model instanceof Uint8Array) {
    const bytes = await modelBytes(model);
    let read: DDSPModel;
    try {
      read = readModel(bytes);
    } catch (e) {
      throw formatError(e);
    }
    const buffers = new Set<ArrayBuffer>();
    for (const t of Object.values(read.estimator.weights)) buffers.add(t.data.buffer as ArrayBuffer);
    if (read.ir !== undefined) buffers.add(read.ir.buffer as ArrayBuffer);
    return { model: read, transfer: [...buffers] };
  }
  if (isModelObject(model)) {
    try {
      validateModel(model);
    } catch (e) {
      throw formatError(e);
    }
    return { model, transfer: [] };
  }
  throw new TypeError('model must be a bundled model name, a URL string, a URL, an ArrayBuffer, a Uint8Array or a DDSPModel');
}
