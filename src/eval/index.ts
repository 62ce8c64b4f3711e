/** What did each code learn: metrics, Q over real images, and the `infogan evaluate` command. */
export * from './metrics';
export { categoricalAccuracy, predictCodes, type CodeOutputs } from './predict';
export { scoreCodes, type CodeEvaluation } from './scores';
export { evaluate, type Evaluation } from './evaluate';
