package dev.triggergate.dedup;

import dev.triggergate.engine.LaunchResult;

/** What a {@link DedupStore} says about a request id the moment a request names it. */
public sealed interface Claim {
  /** No other request holds this id: launch, then {@code keep} the answer or {@code release}. */
  record First() implements Claim {}

  /**
   * An earlier request with this id was answered.
   *
   * @param answer its answer, or null when it was streamed and so could not be kept
   */
  record Repeat(LaunchResult answer) implements Claim {}
}
