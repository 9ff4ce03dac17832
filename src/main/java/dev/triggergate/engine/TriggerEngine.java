package dev.triggergate.engine;

import io.vertx.core.Future;

/** Launches a validated batch: in process ({@code memory}) or at Altcraft ({@code upstream}). */
public interface TriggerEngine {
  /**
   * Launches the trigger for the batch. A refusal (unknown trigger, token not allowed) fails the
   * future with an {@link dev.triggergate.api.ApiError}.
   */
  Future<LaunchResult> launch(StartBatch batch);

  /** Whether the engine can take batches now; drives {@code /ready}. */
  default boolean isReady() {
    return true;
  }
}
