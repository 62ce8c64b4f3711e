/** TensorBoard event files written from TypeScript: see {@link EventWriter}. */
export { EventWriter } from './writer';
export type { EventWriterOptions } from './writer';
export type { HParamValue } from './summaries';
