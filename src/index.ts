/** infogan as a library: what the `infogan` command line is built on. */
export { train, type TrainResult, type TrainHooks, type TrainPlace } from './train/trainer';
export { sample } from './train/sample';
export { loadTrainedModel } from './train/run';
export { InfoGAN, informationLoss } from './model/infogan';
export { parseSpec, formatSpec } from './model/spec';
export { parseTrainArgs, DEFAULT_TRAIN_CONFIG, type TrainConfig } from './config/train';
export { loadDataset } from './data';
export type { ImageDataset, DatasetOptions } from './data/types';
export { EventWriter } from './tensorboard';
export { ConsoleLogger, MemoryLogger, UserError, type Logger } from './util/log';
export * as torch from './torch';
export { evaluate, categoricalAccuracy } from './eval';
