export type { ConformanceCheck } from './testing/conformance/conformance-checks.js';
export { conformanceChecks } from './testing/conformance/conformance-checks.js';
export type {
  ConformanceEmulator,
  ConformanceEmulatorOptions,
  ConformanceFaults,
  ConformanceOptions,
} from './testing/conformance/conformance-options.js';
export type { ProxiedAnswer, RecordingProxy } from './testing/conformance/recording-proxy.js';
export { startRecordingProxy } from './testing/conformance/recording-proxy.js';
export type { DrivenChain, DrivePaginatorOptions } from './testing/drive-paginator.js';
export { drivePaginator } from './testing/drive-paginator.js';
export type {
  AuthDecision,
  Authenticator,
  BearerAuthOptions,
  QueryTokenAuthOptions,
} from './testing/emulator/auth.js';
export { bearerAuth, queryTokenAuth } from './testing/emulator/auth.js';
export type { CursorPageOptions, CursorPageResult } from './testing/emulator/cursor-page.js';
export { cursorPage } from './testing/emulator/cursor-page.js';
export type { EmulatorError, EmulatorErrorCode, ErrorResponder } from './testing/emulator/emulator-error.js';
export { defaultErrorResponse } from './testing/emulator/emulator-error.js';
export type { EmulatorResponse } from './testing/emulator/emulator-response.js';
export { htmlResponse, jsonResponse, withHeaders } from './testing/emulator/emulator-response.js';
export type { RunningEmulatorServer } from './testing/emulator/emulator-server.js';
export { startEmulatorServer } from './testing/emulator/emulator-server.js';
export type { EmulatorServerOptions } from './testing/emulator/emulator-server-options.js';
export { isLoopback } from './testing/emulator/emulator-server-options.js';
export type { EmulatorServerStats } from './testing/emulator/emulator-stats.js';
export { maxInRollingWindow } from './testing/emulator/emulator-stats.js';
export type { FaultOptions, MalformedBody, ServerErrorBody } from './testing/emulator/faults.js';
export { pick } from './testing/emulator/pick.js';
export type { AdmitDecision, RateLimitLayer, RateLimitOptions } from './testing/emulator/rate-limits.js';
export { LayeredRateLimiter } from './testing/emulator/rate-limits.js';
export type {
  RateLimitDecision,
  RollingWindowLimiterOptions,
} from './testing/emulator/rolling-window-limiter.js';
export { RollingWindowLimiter } from './testing/emulator/rolling-window-limiter.js';
export type {
  EmulatorRequest,
  Route,
  RouteContext,
  RouteHandler,
  RouteResponse,
  Served,
} from './testing/emulator/route-table.js';
export type {
  DatasetTools,
  GenerateDatasetOptions,
  SeededTimestampsOptions,
} from './testing/emulator/seeded-data.js';
export { createIdMinter, generateDataset, seededTimestamps } from './testing/emulator/seeded-data.js';
export { ackAfterFrames } from './testing/marbles/ack-after-frames.js';
export type {
  MarbleCall,
  MarbleHandler,
  MarbleHandlerOptions,
  MarblePage,
  MarbleScript,
} from './testing/marbles/marble-handler.js';
export { marbleHandler, tooManyRequests } from './testing/marbles/marble-handler.js';
export type {
  MemoryCheckpointSinkOptions,
  MemorySinkPage,
} from './testing/memory-checkpoint-sink.js';
export { MemoryCheckpointSink } from './testing/memory-checkpoint-sink.js';
export type { SyntheticSourceSpec, SyntheticTask } from './testing/synthetic-source.js';
export { chainSpec, SyntheticSource, seededRandom } from './testing/synthetic-source.js';
