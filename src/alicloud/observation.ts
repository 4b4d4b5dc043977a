// Every HTTP attempt told to an observer once (api_requests_total, the adaptive rate, debug
// logs): its action, its code, how long it took, which retry it was.
import { ApiError, classifyApiError } from './errors.js';
import type { RdsRequest, RdsTransport, SendOptions } from './transport.js';

/** One HTTP attempt, as told to the observer. */
export interface ApiAttempt {
  action: string;
  /** OK, or the classified error code; Timeout for an attempt abandoned when its signal aborted */
  code: string;
  /** from the start of the attempt (after the limits let it through) to its answer or abandonment */
  seconds: number;
  /** 0 for the first attempt of a call, 1 for its first retry... */
  retry: number;
  /** the DBInstanceId parameter, when the action has one */
  instanceId?: string;
}

/** Told about every HTTP attempt. */
export type ApiObserver = (attempt: ApiAttempt) => void;

/**
 * Tells `observe` about each attempt once: when it answers, or, if `opts.signal` aborts first,
 * at that moment with code Timeout (the request itself may go on; the caller no longer waits).
 */
export class ObservedTransport implements RdsTransport {
  constructor(
    private readonly inner: RdsTransport,
    private readonly observe: ApiObserver,
  ) {}

  send<T>(request: RdsRequest<T>, opts: SendOptions): Promise<T> {
    const { action, params } = request;
    const { signal } = opts;
    const started = performance.now();
    let told = false;
    const tell = (code: string) => {
      if (told) return;
      told = true;
      signal?.removeEventListener('abort', onAbort);
      const attempt: ApiAttempt = { action, code, seconds: (performance.now() - started) / 1000, retry: opts.retry ?? 0 };
      if (params.DBInstanceId !== undefined) attempt.instanceId = params.DBInstanceId;
      this.observe(attempt);
    };
    const onAbort = () => tell('Timeout');
    const answer = this.inner.send(request, opts);
    if (signal?.aborted) tell('Timeout');
    else signal?.addEventListener('abort', onAbort, { once: true });
    answer.then(
      () => tell('OK'),
      (err: unknown) => tell(err instanceof ApiError ? err.code : classifyApiError(action, err).code),
    );
    return answer;
  }

  close(): void {
    this.inner.close();
  }
}
