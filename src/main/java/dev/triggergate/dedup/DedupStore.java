package dev.triggergate.dedup;

import io.vertx.core.Future;

/**
 * Where answered request ids are remembered: in this process, or in Redis for every instance.
 *
 * <p>A claim is exclusive: while one request holds an id, another naming it waits for the first
 * one's outcome instead of launching too.
 */
public interface DedupStore {
  /**
   * Claims {@code key}. Completes on the caller's context with a {@link Claim.First} when this
   * request holds the key now, or a {@link Claim.Repeat} with the earlier answer.
   */
  Future<Claim> claim(String key);

  /** Whether the store can be used now; drives {@code /ready}. */
  default boolean isReady() {
    return true;
  }
}
