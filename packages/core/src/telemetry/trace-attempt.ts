import {
  context as otelContext,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { Observable } from 'rxjs';
import type { TaskLabel } from '../errors.js';
import { isRetryable } from '../retry/retry-policy.js';
import type { HandlerContext, HandlerResult, Task } from '../task.js';
import { attr } from './attributes.js';
import { recordMetric } from './record-metric.js';

/** The spans of task attempts, so that an HTTP call inside one can report its status to it. */
const attemptSpans = new WeakSet<Span>();

/** The tracer of the library; a no-op until the application registers a TracerProvider. */
export const tracer = trace.getTracer('@capital/core');

/** What the API's proxy provider delegates to while no SDK is registered: its no-op provider. */
const noopProvider = new ProxyTracerProvider().getDelegate();

/**
 * Whether no TracerProvider is registered, so that every span would be a no-op: then the spans'
 * attributes and contexts are not built at all (they cost per page). Asked on every call, since
 * an application may register its SDK after Capital is loaded; a provider this copy of the API
 * cannot see through (another copy's) counts as registered.
 */
export function tracingOff(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === noopProvider;
}

/**
 * Runs one attempt (the handler call `attempt$`) inside a span named `capital.attempt`, made the
 * active span while the handler is called, so that spans the handler starts (its HTTP call)
 * are its children. Records `capital.pages`, `capital.records`, `capital.http.throttled` and
 * `capital.pages.in_flight`. With no OpenTelemetry SDK registered, the span is a no-op.
 */
export function traceAttempt<T extends Task, D>(
  label: TaskLabel,
  context: HandlerContext,
  attempt$: Observable<HandlerResult<T, D>>,
): Observable<HandlerResult<T, D>> {
  return new Observable((subscriber) => {
    const type = label.type ?? 'unknown';
    const span = tracingOff()
      ? undefined
      : tracer.startSpan('capital.attempt', {
          kind: SpanKind.INTERNAL,
          attributes: {
            [attr.taskType]: type,
            [attr.taskKey]: label.taskKey,
            [attr.attempt]: context.attempt,
            ...(label.page === undefined ? {} : { [attr.page]: label.page }),
            ...(context.limiterWaitMs === undefined ? {} : { [attr.limiterWaitMs]: context.limiterWaitMs }),
          },
        });
    if (span) attemptSpans.add(span);
    const typeAttributes = { [attr.taskType]: type };
    recordMetric('capital.pages.in_flight', 1);
    if (context.limiterWaitMs !== undefined) recordMetric('capital.limiter.wait', context.limiterWaitMs);
    let open = true;
    const end = (outcome: string) => {
      if (!open) return;
      open = false;
      span?.setAttribute(attr.outcome, outcome);
      span?.end();
      recordMetric('capital.pages.in_flight', -1);
    };
    const subscribe = () =>
      attempt$.subscribe({
        next: (result) => {
          span?.setAttributes({
            [attr.records]: result.data.length,
            // Lazy next tasks (an iterable) are not counted: counting would draw them.
            ...(Array.isArray(result.nextTasks) ? { [attr.nextTasks]: result.nextTasks.length } : {}),
          });
          recordMetric('capital.pages', 1, typeAttributes);
          recordMetric('capital.records', result.data.length, typeAttributes);
          end('ok');
          subscriber.next(result);
        },
        error: (error: Error) => {
          const status = (error as { status?: unknown }).status;
          if (typeof status === 'number') {
            span?.setAttribute(attr.httpStatus, status);
            if (status === 429) recordMetric('capital.http.throttled', 1, typeAttributes);
          }
          // The message may hold what the API sent; the error's name and code say enough.
          span?.setStatus({ code: SpanStatusCode.ERROR, message: error.name });
          end(isRetryable(error) ? 'retryable_error' : 'error');
          subscriber.error(error);
        },
        complete: () => subscriber.complete(),
      });
    const subscription = span
      ? otelContext.with(trace.setSpan(otelContext.active(), span), subscribe)
      : subscribe();
    return () => {
      subscription.unsubscribe();
      end('cancelled');
    };
  });
}

/**
 * Sets the HTTP status on the attempt span that is active, if any: the attempt's span then says
 * what the API answered even when the page came back fine.
 */
export function noteHttpStatus(status: number): void {
  const span = trace.getActiveSpan();
  if (span !== undefined && attemptSpans.has(span)) span.setAttribute(attr.httpStatus, status);
}
