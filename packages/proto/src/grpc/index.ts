export { AsyncQueue } from './async-queue.js';
export {
  createGrpcClient,
  type GrpcBidiStream,
  type GrpcCallOptions,
  type GrpcClient,
  type GrpcClientMethod,
  type GrpcClientOptions,
} from './grpc-client.js';
export { appErrorFromServiceError, grpcStatusFromError } from './grpc-error-mapping.js';
export {
  addGrpcService,
  type AddGrpcServiceOptions,
  type GrpcCallContext,
  type GrpcMethodImpl,
  type GrpcServiceImpl,
} from './grpc-server.js';
export {
  grpcDeserializer,
  grpcMethodPath,
  grpcSerializer,
  grpcServiceDefinition,
} from './grpc-service-definition.js';
