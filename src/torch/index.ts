/** The engine: libtorch tensors, autograd, layers and Adam, in PyTorch's idiom. */
export * from './tensor';
export * as F from './functional';
export * as nn from './nn';
export { Adam, type AdamOptions } from './optim';
export { encodeSafetensors, decodeSafetensors } from './safetensors';
export {
  setThreads, getThreads, blasInfo, setAutocast, cpuHasBfloat16, torchVersion, watchStopSignals,
  isInterrupted, type InterruptedError,
} from './runtime';
