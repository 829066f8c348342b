export type { FileSinkOptions } from './file/file-sink.js';
export { FileSink } from './file/file-sink.js';
export type { Provenance } from './provenance.js';
export { pageProvenance, provenanceLines } from './provenance.js';
export type { PageReceipt, RecordKey, Sink, SinkPage, SinkSummary } from './sink.js';
export { SinkWriteError } from './sink-error.js';
export { writeTo } from './write-to.js';
