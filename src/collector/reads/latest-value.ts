// The shape most reads share: ask one action, keep the last answer (while later reads fail), show
// it as it is. The policy, the restore window and the backup storage are each one of these.
import type { ReadContext, ReadState } from './read.js';

/** A read whose view is the last answer of `ask`. */
export function latestValue<V>(ask: (ctx: ReadContext) => Promise<V>): () => ReadState<V> {
  return () => {
    let last: V | undefined;
    return {
      async run(ctx) {
        last = await ask(ctx);
      },
      view: () => last,
    };
  };
}
