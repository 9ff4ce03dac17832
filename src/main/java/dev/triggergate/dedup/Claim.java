package dev.triggergate.dedup;

import dev.triggergate.engine.LaunchResult;

/** What a {@link DedupStore} says about a request id the moment a request names it. */
public sealed interface Claim {
  /** No other request holds this id: this one launches, then keeps its answer or lets go. */
  non-sealed interface First extends Claim {
    /** Keeps the answer for repeats; null records "answered, not kept". */
    void keep(LaunchResult answer);

    /** Lets go of the id: this request launched nothing a repeat must not launch again. */
    void release();
  }

  /**
   * An earlier request with this id was answered.
   *
   * @param answer its answer, or null when it was streamed and so could not be kept
   */
  record Repeat(LaunchResult answer) implements Claim {}
}
