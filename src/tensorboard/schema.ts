/**
 * The protobuf messages TensorBoard reads, as a protobufjs JSON descriptor, with the field numbers
 * of the official protos: tensorboard/compat/proto/{event,summary,histogram,tensor,tensor_shape},
 * tensorboard/plugins/hparams/{plugin_data,api}.proto and google/protobuf/struct.proto. Only the
 * messages and fields this toolkit writes are listed; a reader skips what it does not know.
 */
import * as protobuf from 'protobufjs/light';

/** `repeated double` fields are packed in the official protos; protobufjs needs telling. */
const PACKED = { packed: true };

const tensorboard: protobuf.INamespace = {
  nested: {
    Event: {
      oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
      fields: {
        wallTime: { type: 'double', id: 1 },
        step: { type: 'int64', id: 2 },
        fileVersion: { type: 'string', id: 3 },
        summary: { type: 'Summary', id: 5 },
      },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
      nested: {
        Image: {
          fields: {
            height: { type: 'int32', id: 1 },
            width: { type: 'int32', id: 2 },
            colorspace: { type: 'int32', id: 3 },
            encodedImageString: { type: 'bytes', id: 4 },
          },
        },
        Value: {
          oneofs: { value: { oneof: ['simpleValue', 'image', 'histo', 'tensor'] } },
          fields: {
            tag: { type: 'string', id: 1 },
            simpleValue: { type: 'float', id: 2 },
            image: { type: 'Image', id: 4 },
            histo: { type: 'HistogramProto', id: 5 },
            tensor: { type: 'TensorProto', id: 8 },
            metadata: { type: 'SummaryMetadata', id: 9 },
          },
        },
      },
    },
    SummaryMetadata: {
      fields: {
        pluginData: { type: 'PluginData', id: 1 },
        displayName: { type: 'string', id: 2 },
        summaryDescription: { type: 'string', id: 3 },
      },
      nested: {
        PluginData: {
          fields: {
            pluginName: { type: 'string', id: 1 },
            content: { type: 'bytes', id: 2 },
          },
        },
      },
    },
    HistogramProto: {
      fields: {
        min: { type: 'double', id: 1 },
        max: { type: 'double', id: 2 },
        num: { type: 'double', id: 3 },
        sum: { type: 'double', id: 4 },
        sumSquares: { type: 'double', id: 5 },
        bucketLimit: { rule: 'repeated', type: 'double', id: 6, options: PACKED },
        bucket: { rule: 'repeated', type: 'double', id: 7, options: PACKED },
      },
    },
    TensorProto: {
      fields: {
        dtype: { type: 'int32', id: 1 },
        tensorShape: { type: 'TensorShapeProto', id: 2 },
        stringVal: { rule: 'repeated', type: 'bytes', id: 8 },
      },
    },
    TensorShapeProto: {
      fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 } },
      nested: { Dim: { fields: { size: { type: 'int64', id: 1 } } } },
    },
  },
};

/** `map<string, google.protobuf.Value> hparams = 1`. */
const HPARAM_VALUES: protobuf.IMapField = {
  keyType: 'string',
  type: 'google.protobuf.Value',
  id: 1,
};

const hparams: protobuf.INamespace = {
  nested: {
    HParamsPluginData: {
      oneofs: { data: { oneof: ['experiment', 'sessionStartInfo'] } },
      fields: {
        version: { type: 'int32', id: 1 },
        experiment: { type: 'Experiment', id: 2 },
        sessionStartInfo: { type: 'SessionStartInfo', id: 3 },
      },
    },
    SessionStartInfo: {
      fields: {
        hparams: HPARAM_VALUES,
        startTimeSecs: { type: 'double', id: 5 },
      },
    },
    Experiment: {
      fields: {
        timeCreatedSecs: { type: 'double', id: 3 },
        hparamInfos: { rule: 'repeated', type: 'HParamInfo', id: 4 },
        metricInfos: { rule: 'repeated', type: 'MetricInfo', id: 5 },
      },
    },
    HParamInfo: {
      fields: {
        name: { type: 'string', id: 1 },
        type: { type: 'int32', id: 4 },
      },
    },
    MetricInfo: { fields: { name: { type: 'MetricName', id: 1 } } },
    MetricName: {
      fields: {
        group: { type: 'string', id: 1 },
        tag: { type: 'string', id: 2 },
      },
    },
  },
};

const google: protobuf.INamespace = {
  nested: {
    protobuf: {
      nested: {
        Value: {
          oneofs: { kind: { oneof: ['numberValue', 'stringValue', 'boolValue'] } },
          fields: {
            numberValue: { type: 'double', id: 2 },
            stringValue: { type: 'string', id: 3 },
            boolValue: { type: 'bool', id: 4 },
          },
        },
      },
    },
  },
};

/**
 * Just the step and tags of an event: what resuming needs from an existing file. Decoding with it
 * skips images and histograms instead of copying them.
 */
const index: protobuf.INamespace = {
  nested: {
    EventIndex: {
      fields: {
        step: { type: 'int64', id: 2 },
        summary: { type: 'SummaryIndex', id: 5 },
      },
    },
    SummaryIndex: { fields: { value: { rule: 'repeated', type: 'ValueIndex', id: 1 } } },
    ValueIndex: { fields: { tag: { type: 'string', id: 1 } } },
  },
};

const root = protobuf.Root.fromJSON({
  nested: { tensorboard: { nested: { ...tensorboard.nested, hparams, index } }, google },
});

/** tensorboard.Event: one record of an event file. */
export const EventMessage = root.lookupType('tensorboard.Event');
/** tensorboard.hparams.HParamsPluginData: the content of an hparams summary's plugin data. */
export const HParamsPluginDataMessage = root.lookupType('tensorboard.hparams.HParamsPluginData');
/** tensorboard.index.EventIndex: an Event read for its step and tags only. */
export const EventIndexMessage = root.lookupType('tensorboard.index.EventIndex');

/** TensorProto dtypes used here (tensorflow/core/framework/types.proto). */
export const DataType = { DT_FLOAT: 1, DT_STRING: 7 } as const;

/** HParamInfo types (tensorboard/plugins/hparams/api.proto). */
export const HParamType = { STRING: 1, BOOL: 2, FLOAT64: 3 } as const;
