// Turns a protobuf-es service descriptor into the ServiceDefinition grpc-js expects, so that
// grpc-js moves bytes and protobuf-es alone encodes and decodes messages (one protobuf runtime).
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
  type MessageShape,
} from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';

/** The gRPC path of a method: `/<package>.<Service>/<Method>`. */
export function grpcMethodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Encodes a message (or an init object for one) with protobuf-es; no copy of the bytes. */
export function grpcSerializer<D extends DescMessage>(schema: D): grpc.serialize<MessageShape<D>> {
  return (value) => {
    const bytes = toBinary(schema, create(schema, value));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** Decodes bytes into a message of the schema; grpc-js turns a throw into an INTERNAL status. */
export function grpcDeserializer<D extends DescMessage>(
  schema: D,
): grpc.deserialize<MessageShape<D>> {
  return (bytes) => fromBinary(schema, bytes);
}

/**
 * A grpc-js ServiceDefinition for a generated service. Methods are keyed by their local name
 * (`enroll`) with the proto name (`Enroll`) as `originalName`, so an implementation object may
 * use either.
 */
export function grpcServiceDefinition(desc: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of desc.methods) {
    definition[method.localName] = {
      path: grpcMethodPath(method),
      originalName: method.name,
      requestStream:
        method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream:
        method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: grpcSerializer(method.input),
      requestDeserialize: grpcDeserializer(method.input),
      responseSerialize: grpcSerializer(method.output),
      responseDeserialize: grpcDeserializer(method.output),
    };
  }
  return definition;
}
