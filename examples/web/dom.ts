// The demo's one DOM helper, shared by main.ts and train-panel.ts.

/** The element of index.html with this id; throws naming it when the page lacks it. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing from index.html`);
  return el as T;
}
